//! Resources from RFC 7643 §8 and request bodies captured from IdPs, shared by the tests
//! of normalization and projection.

use serde_json::{json, Value};

pub const BJENSEN: &str = "2819c223-7f76-453a-919d-413861904646";

/// RFC 7643 §8.3: the full User of §8.2 with the enterprise extension (§8.3 adds only the
/// extension and its URN, so one fixture covers both). The certificate is shortened.
pub fn rfc_enterprise_user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": BJENSEN,
        "externalId": "701984",
        "userName": "bjensen@example.com",
        "name": {
            "formatted": "Ms. Barbara J Jensen, III",
            "familyName": "Jensen",
            "givenName": "Barbara",
            "middleName": "Jane",
            "honorificPrefix": "Ms.",
            "honorificSuffix": "III"
        },
        "displayName": "Babs Jensen",
        "nickName": "Babs",
        "profileUrl": "https://login.example.com/bjensen",
        "emails": [
            { "value": "bjensen@example.com", "type": "work", "primary": true },
            { "value": "babs@jensen.org", "type": "home" }
        ],
        "addresses": [
            {
                "type": "work",
                "streetAddress": "100 Universal City Plaza",
                "locality": "Hollywood",
                "region": "CA",
                "postalCode": "91608",
                "country": "USA",
                "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA",
                "primary": true
            },
            {
                "type": "home",
                "streetAddress": "456 Hollywood Blvd",
                "locality": "Hollywood",
                "region": "CA",
                "postalCode": "91608",
                "country": "USA",
                "formatted": "456 Hollywood Blvd\nHollywood, CA 91608 USA"
            }
        ],
        "phoneNumbers": [
            { "value": "555-555-5555", "type": "work" },
            { "value": "555-555-4444", "type": "mobile" }
        ],
        "ims": [{ "value": "someaimhandle", "type": "aim" }],
        "photos": [
            { "value": "https://photos.example.com/profilephoto/72930000000Ccne/F", "type": "photo" },
            { "value": "https://photos.example.com/profilephoto/72930000000Ccne/T", "type": "thumbnail" }
        ],
        "userType": "Employee",
        "title": "Tour Guide",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "America/Los_Angeles",
        "active": true,
        "password": "t1meMa$heen",
        "groups": [
            {
                "value": "e9e30dba-f08f-4109-8486-d5c6a331660a",
                "$ref": "https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a",
                "display": "Tour Guides"
            },
            {
                "value": "fc348aa8-3835-40eb-a20b-c726e15c55b5",
                "$ref": "https://example.com/v2/Groups/fc348aa8-3835-40eb-a20b-c726e15c55b5",
                "display": "Employees"
            }
        ],
        "x509Certificates": [
            { "value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx" }
        ],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": "701984",
            "costCenter": "4130",
            "organization": "Universal Studios",
            "division": "Theme Park",
            "department": "Tour Operations",
            "manager": {
                "value": "26118915-6090-4610-87e4-49d8ca9f808d",
                "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d",
                "displayName": "John Smith"
            }
        },
        "meta": {
            "resourceType": "User",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": "W/\"3694e05e9dff591\"",
            "location": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"
        }
    })
}

/// RFC 7643 §8.2 as printed: the same User without the extension.
pub fn rfc_full_user() -> Value {
    let mut user = rfc_enterprise_user();
    if let Some(map) = user.as_object_mut() {
        map.remove("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
        map.insert(
            "schemas".into(),
            json!(["urn:ietf:params:scim:schemas:core:2.0:User"]),
        );
    }
    user
}

/// RFC 7643 §8.4.
pub fn rfc_group() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [
            {
                "value": "2819c223-7f76-453a-919d-413861904646",
                "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646",
                "display": "Babs Jensen"
            },
            {
                "value": "902c246b-6245-4190-8e05-00816be7344a",
                "$ref": "https://example.com/v2/Users/902c246b-6245-4190-8e05-00816be7344a",
                "display": "Mandy Pepperidge"
            }
        ],
        "meta": {
            "resourceType": "Group",
            "created": "2010-01-23T04:56:22Z",
            "lastModified": "2011-05-13T04:42:34Z",
            "version": "W/\"3694e05e9dff592\"",
            "location": "https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a"
        }
    })
}

/// A POST /Users from Microsoft Entra ID provisioning: `active` as a string, enterprise
/// attributes flattened, `manager` as a bare id, readOnly `meta`, an empty `roles`.
pub fn entra_post_user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee@contoso.com",
        "active": "True",
        "displayName": "Test User",
        "emails": [{ "primary": true, "type": "work", "value": "test.user@contoso.com" }],
        "meta": { "resourceType": "User" },
        "name": { "formatted": "Test User", "familyName": "User", "givenName": "Test" },
        "roles": [],
        "title": "",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "1",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": "mgr-id"
    })
}

/// A POST /Users from Okta with a custom schema URI and custom attributes.
pub fn okta_post_user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:okta:custom:user:1.0"
        ],
        "userName": "isaac.brock@example.com",
        "name": { "givenName": "Isaac", "familyName": "Brock" },
        "emails": [
            { "primary": true, "value": "isaac.brock@example.com", "type": "work" },
            { "primary": true, "value": "ib@example.org", "type": "home" }
        ],
        "displayName": "Isaac Brock",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true,
        "favoriteColor": "blue",
        "urn:okta:custom:user:1.0": { "costCenter": 42 },
        "urn:okta:custom:user:1.0:nickname": "izzy"
    })
}
