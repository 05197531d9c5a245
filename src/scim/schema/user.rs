//! The User resource (RFC 7643 §4.1, characteristics from §8.7.1) and the common attributes
//! every resource carries (§3.1).
//!
//! The common attributes `id`, `externalId` and `meta` are listed in each core schema so
//! that `resolve` finds them like any other attribute (filters, `attributes=`, PATCH all go
//! through it). RFC 7643 §8.7.1 does not list them in the schema representation, so
//! `/Schemas` leaves them out (see [`super::render`]).
//!
//! Where §8.7.1 and the prose of §4.1 disagree, the prose wins and the difference is noted:
//! `addresses` gets a `primary` sub-attribute (§4.1.2 defines it, §8.7.1 omits it, and the
//! §8.2 example sends it).

use super::def::Uniqueness;
use super::def::{AttrType, AttributeDef, Mutability, ResourceTypeDef, Returned, SchemaDef};
use super::enterprise::ENTERPRISE_USER;
use crate::scim::urn;

/// The attributes that belong to the account rather than to a directory's record
/// (docs/scim.md, "Users on the account model"): every directory that provisions the account
/// shares them; the other attributes belong to each directory's own record.
pub const ACCOUNT_OWNED: &[&str] = &[
    "userName",
    "emails",
    "name",
    "displayName",
    "nickName",
    "title",
    "locale",
    "timezone",
    "preferredLanguage",
    "active",
];

/// Names of the common attributes (RFC 7643 §3.1), which `/Schemas` does not list.
pub const COMMON_ATTRIBUTES: [&str; 3] = ["id", "externalId", "meta"];

pub const ID: AttributeDef = AttributeDef::string(
    "id",
    "Unique identifier for the SCIM resource as defined by the service provider. Issued by \
     the service provider and never specified by the client.",
)
.case_exact()
.mutability(Mutability::ReadOnly)
.returned(Returned::Always)
.uniqueness(Uniqueness::Server);

pub const EXTERNAL_ID: AttributeDef = AttributeDef::string(
    "externalId",
    "A String that is an identifier for the resource as defined by the provisioning client.",
)
.case_exact();

const META_SUBS: &[AttributeDef] = &[
    AttributeDef::string(
        "resourceType",
        "The name of the resource type of the resource.",
    )
    .case_exact()
    .mutability(Mutability::ReadOnly),
    AttributeDef::string(
        "created",
        "The DateTime that the resource was added to the service provider.",
    )
    .of_type(AttrType::DateTime)
    .mutability(Mutability::ReadOnly),
    AttributeDef::string(
        "lastModified",
        "The most recent DateTime that the details of this resource were updated at the service \
         provider.",
    )
    .of_type(AttrType::DateTime)
    .mutability(Mutability::ReadOnly),
    AttributeDef::string("location", "The URI of the resource being returned.")
        .references(&["uri"])
        .case_exact()
        .mutability(Mutability::ReadOnly),
    AttributeDef::string(
        "version",
        "The version of the resource being returned (its ETag).",
    )
    .case_exact()
    .mutability(Mutability::ReadOnly),
];

pub const META: AttributeDef =
    AttributeDef::string("meta", "A complex attribute containing resource metadata.")
        .complex(META_SUBS)
        .mutability(Mutability::ReadOnly);

/// The `display` sub-attribute of the plural attributes: readWrite in §8.7.1 even though
/// its description says "READ-ONLY".
pub(super) const DISPLAY: AttributeDef = AttributeDef::string(
    "display",
    "A human-readable name, primarily used for display purposes. READ-ONLY.",
);

pub(super) const PRIMARY: AttributeDef = AttributeDef::string(
    "primary",
    "A Boolean value indicating the 'primary' or preferred attribute value for this \
     attribute. The primary attribute value 'true' MUST appear no more than once.",
)
.of_type(AttrType::Boolean);

const fn kind(description: &'static str, canonical: &'static [&'static str]) -> AttributeDef {
    AttributeDef::string("type", description).canonical(canonical)
}

/// The sub-attributes of a plural attribute whose values are labelled: `value`, then
/// `display`, `type` (described by `label`, canonically one of `labels`) and `primary`.
const fn labelled(
    value: AttributeDef,
    label: &'static str,
    labels: &'static [&'static str],
) -> [AttributeDef; 4] {
    [value, DISPLAY, kind(label, labels), PRIMARY]
}

/// The `type` description of the plural attributes that have no canonical labels.
const ANY_LABEL: &str = "A label indicating the attribute's function.";

const NAME: &[AttributeDef] = &[
    AttributeDef::string(
        "formatted",
        "The full name, including all middle names, titles, and suffixes as appropriate, \
         formatted for display (e.g., 'Ms. Barbara J Jensen, III').",
    )
    .max_length(1024),
    AttributeDef::string(
        "familyName",
        "The family name of the User, or last name in most Western languages (e.g., 'Jensen' \
         given the full name 'Ms. Barbara J Jensen, III').",
    ),
    AttributeDef::string(
        "givenName",
        "The given name of the User, or first name in most Western languages (e.g., 'Barbara' \
         given the full name 'Ms. Barbara J Jensen, III').",
    ),
    AttributeDef::string(
        "middleName",
        "The middle name(s) of the User (e.g., 'Jane' given the full name 'Ms. Barbara J \
         Jensen, III').",
    ),
    AttributeDef::string(
        "honorificPrefix",
        "The honorific prefix(es) of the User, or title in most Western languages (e.g., 'Ms.' \
         given the full name 'Ms. Barbara J Jensen, III').",
    ),
    AttributeDef::string(
        "honorificSuffix",
        "The honorific suffix(es) of the User, or suffix in most Western languages (e.g., 'III' \
         given the full name 'Ms. Barbara J Jensen, III').",
    ),
];

const EMAILS: &[AttributeDef] = &labelled(
    AttributeDef::string(
        "value",
        "Email addresses for the user. The value SHOULD be canonicalized by the service \
         provider, e.g., 'bjensen@example.com' instead of 'bjensen@EXAMPLE.COM'.",
    )
    .email(),
    "A label indicating the attribute's function, e.g., 'work' or 'home'.",
    &["work", "home", "other"],
);

const PHONE_NUMBERS: &[AttributeDef] = &labelled(
    AttributeDef::string("value", "Phone number of the User."),
    "A label indicating the attribute's function, e.g., 'work', 'home', 'mobile'.",
    &["work", "home", "mobile", "fax", "pager", "other"],
);

const IMS: &[AttributeDef] = &labelled(
    AttributeDef::string("value", "Instant messaging address for the User."),
    "A label indicating the attribute's function, e.g., 'aim', 'gtalk', 'xmpp'.",
    &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
);

const PHOTOS: &[AttributeDef] = &labelled(
    AttributeDef::string("value", "URL of a photo of the User.").references(&["external"]),
    "A label indicating the attribute's function, i.e., 'photo' or 'thumbnail'.",
    &["photo", "thumbnail"],
);

const ADDRESSES: &[AttributeDef] = &[
    AttributeDef::string(
        "formatted",
        "The full mailing address, formatted for display or use with a mailing label. This \
         attribute MAY contain newlines.",
    )
    .max_length(1024),
    AttributeDef::string(
        "streetAddress",
        "The full street address component, which may include house number, street name, P.O. \
         box, and multi-line extended street address information. This attribute MAY contain \
         newlines.",
    )
    .max_length(1024),
    AttributeDef::string("locality", "The city or locality component."),
    AttributeDef::string("region", "The state or region component."),
    AttributeDef::string("postalCode", "The zip code or postal code component."),
    AttributeDef::string("country", "The country name component."),
    kind(
        "A label indicating the attribute's function, e.g., 'work' or 'home'.",
        &["work", "home", "other"],
    ),
    PRIMARY,
];

const GROUPS: &[AttributeDef] = &[
    AttributeDef::string("value", "The identifier of the User's group.")
        .mutability(Mutability::ReadOnly),
    AttributeDef::string(
        "$ref",
        "The URI of the corresponding 'Group' resource to which the user belongs.",
    )
    .references(&["User", "Group"])
    .mutability(Mutability::ReadOnly),
    DISPLAY.mutability(Mutability::ReadOnly),
    kind(
        "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.",
        &["direct", "indirect"],
    )
    .mutability(Mutability::ReadOnly),
];

/// The sub-attributes keep their RFC characteristics: the attribute itself is readOnly,
/// and a value a client repeats is normalized with them before it is compared.
const ENTITLEMENTS: &[AttributeDef] = &labelled(
    AttributeDef::string(
        "value",
        "The value of an entitlement (an Entitlement's id).",
    ),
    ANY_LABEL,
    &[],
);

const ROLES: &[AttributeDef] = &labelled(
    AttributeDef::string("value", "The value of a role."),
    ANY_LABEL,
    &[],
);

const X509_CERTIFICATES: &[AttributeDef] = &labelled(
    AttributeDef::string("value", "The value of an X.509 certificate.").of_type(AttrType::Binary),
    ANY_LABEL,
    &[],
);

pub static USER: SchemaDef = SchemaDef {
    id: urn::USER,
    name: "User",
    description: "User Account",
    attributes: &[
        ID,
        EXTERNAL_ID,
        META,
        AttributeDef::string(
            "userName",
            "Unique identifier for the User, typically used by the user to directly \
             authenticate to the service provider. Each User MUST include a non-empty userName \
             value. This identifier MUST be unique across the service provider's entire set of \
             Users. REQUIRED.",
        )
        .max_length(320)
        .required()
        .uniqueness(Uniqueness::Server),
        AttributeDef::string("name", "The components of the user's real name.").complex(NAME),
        AttributeDef::string(
            "displayName",
            "The name of the User, suitable for display to end-users. The name SHOULD be the \
             full name of the User being described, if known.",
        ),
        AttributeDef::string(
            "nickName",
            "The casual way to address the user in real life, e.g., 'Bob' or 'Bobby' instead of \
             'Robert'. This attribute SHOULD NOT be used to represent a User's username (e.g., \
             'bjensen' or 'mpepperidge').",
        ),
        AttributeDef::string(
            "profileUrl",
            "A fully qualified URL pointing to a page representing the User's online profile.",
        )
        .references(&["external"]),
        AttributeDef::string("title", "The user's title, such as \"Vice President.\""),
        AttributeDef::string(
            "userType",
            "Used to identify the relationship between the organization and the user. Typical \
             values used might be 'Contractor', 'Employee', 'Intern', 'Temp', 'External', and \
             'Unknown', but any value may be used.",
        ),
        AttributeDef::string(
            "preferredLanguage",
            "Indicates the User's preferred written or spoken language. Generally used for \
             selecting a localized user interface; e.g., 'en_US' specifies the language English \
             and country US.",
        ),
        AttributeDef::string(
            "locale",
            "Used to indicate the User's default location for purposes of localizing items such \
             as currency, date time format, or numerical representations.",
        ),
        AttributeDef::string(
            "timezone",
            "The User's time zone in the 'Olson' time zone database format, e.g., \
             'America/Los_Angeles'.",
        ),
        AttributeDef::string(
            "active",
            "A Boolean value indicating the User's administrative status.",
        )
        .of_type(AttrType::Boolean),
        AttributeDef::string(
            "password",
            "The User's cleartext password. This attribute is intended to be used as a means to \
             specify an initial password when creating a new User or to reset an existing \
             User's password.",
        )
        .mutability(Mutability::WriteOnly)
        .returned(Returned::Never)
        .max_length(1024),
        AttributeDef::string(
            "emails",
            "Email addresses for the user. Canonical type values of 'work', 'home', and \
             'other'.",
        )
        .complex(EMAILS)
        .multi(),
        AttributeDef::string(
            "phoneNumbers",
            "Phone numbers for the User. Canonical type values of 'work', 'home', 'mobile', \
             'fax', 'pager', and 'other'.",
        )
        .complex(PHONE_NUMBERS)
        .multi(),
        AttributeDef::string("ims", "Instant messaging addresses for the User.")
            .complex(IMS)
            .multi(),
        AttributeDef::string("photos", "URLs of photos of the User.")
            .complex(PHOTOS)
            .multi(),
        AttributeDef::string(
            "addresses",
            "A physical mailing address for this User. Canonical type values of 'work', 'home', \
             and 'other'.",
        )
        .complex(ADDRESSES)
        .multi(),
        AttributeDef::string(
            "groups",
            "A list of groups to which the user belongs, either through direct membership, \
             through nested groups, or dynamically calculated.",
        )
        .complex(GROUPS)
        .multi()
        .mutability(Mutability::ReadOnly),
        AttributeDef::string(
            "entitlements",
            "A list of entitlements for the User that represent a thing the User has. \
             Derived: the site products the User's groups grant (see /Entitlements); \
             product access is given by granting a product to a group.",
        )
        .complex(ENTITLEMENTS)
        .multi()
        .mutability(Mutability::ReadOnly),
        AttributeDef::string(
            "roles",
            "A list of roles for the User that collectively represent who the User is, e.g., \
             'Student', 'Faculty'.",
        )
        .complex(ROLES)
        .multi(),
        AttributeDef::string(
            "x509Certificates",
            "A list of certificates issued to the User.",
        )
        .complex(X509_CERTIFICATES)
        .multi(),
    ],
};

pub static USER_RESOURCE: ResourceTypeDef = ResourceTypeDef {
    id: "User",
    name: "User",
    endpoint: "/Users",
    description: "User Account",
    schema: &USER,
    extensions: &[(&ENTERPRISE_USER, false)],
    derived: &["entitlements"],
};

#[cfg(test)]
mod tests;
