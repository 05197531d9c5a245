//! The audit log's vocabulary: what was done and by what kind of actor. Stored as text (the
//! names below are the stable wire form, read by admins through the admin API), decided here
//! so a typo cannot create a new action.

use super::wire::wire_enum;

wire_enum! {
    /// What an audit entry records.
    pub enum AuditAction as "audit_action" {
        /// Account: created.
        AccountCreated = "account.created",
        /// Account: deactivated.
        AccountDeactivated = "account.deactivated",
        /// Account: deleted.
        AccountDeleted = "account.deleted",
        /// Account: email changed.
        AccountEmailChanged = "account.email_changed",
        /// Account: profile changed.
        AccountProfileChanged = "account.profile_changed",
        /// Account: reactivated.
        AccountReactivated = "account.reactivated",
        /// Directory: created.
        DirectoryCreated = "directory.created",
        /// Directory: group patch minimal set.
        DirectoryGroupPatchMinimalSet = "directory.group_patch_minimal_set",
        /// Directory: user linked.
        DirectoryUserLinked = "directory.user_linked",
        /// Directory: user unlinked.
        DirectoryUserUnlinked = "directory.user_unlinked",
        /// Domain: challenge issued.
        DomainChallengeIssued = "domain.challenge_issued",
        /// Domain: moved.
        DomainMoved = "domain.moved",
        /// Domain: verified.
        DomainVerified = "domain.verified",
        /// Event receiver: created.
        EventReceiverCreated = "event_receiver.created",
        /// Event receiver: deleted.
        EventReceiverDeleted = "event_receiver.deleted",
        /// Group: created.
        GroupCreated = "group.created",
        /// Group: deleted.
        GroupDeleted = "group.deleted",
        /// Group: member added.
        GroupMemberAdded = "group.member_added",
        /// Group: member removed.
        GroupMemberRemoved = "group.member_removed",
        /// Group: product granted.
        GroupProductGranted = "group.product_granted",
        /// Group: product revoked.
        GroupProductRevoked = "group.product_revoked",
        /// Group: updated.
        GroupUpdated = "group.updated",
        /// Org: bootstrapped.
        OrgBootstrapped = "org.bootstrapped",
        /// Product access: granted.
        ProductAccessGranted = "product_access.granted",
        /// Product access: revoked.
        ProductAccessRevoked = "product_access.revoked",
        /// Site user: invite resent.
        SiteUserInviteResent = "site_user.invite_resent",
        /// Site user: invited.
        SiteUserInvited = "site_user.invited",
        /// Site user: removed.
        SiteUserRemoved = "site_user.removed",
        /// Site user: restored.
        SiteUserRestored = "site_user.restored",
        /// Site user: role changed.
        SiteUserRoleChanged = "site_user.role_changed",
        /// Site user: suspended.
        SiteUserSuspended = "site_user.suspended",
        /// Token: issued.
        TokenIssued = "token.issued",
        /// Token: revoked.
        TokenRevoked = "token.revoked",
    }
}

wire_enum! {
    /// Who acted, as the audit log's `actor_kind` says.
    pub enum ActorKind as "actor_kind" {
        /// A directory's SCIM token (its IdP).
        Directory = "directory",
        /// An organization administrator.
        OrgAdmin = "org_admin",
        /// A site administrator.
        SiteAdmin = "site_admin",
        /// A trusted user of a site.
        TrustedUser = "trusted_user",
        /// The account's owner (self-service).
        Account = "account",
        /// The operator, through the CLI.
        System = "system",
    }
}

wire_enum! {
    /// What an email of the outbox is.
    pub enum OutboxKind as "outbox_kind" {
        /// An invitation to a site (rule 6).
        SiteInvitation = "site_invitation",
    }
}

wire_enum! {
    /// Where an outbox email stands.
    pub enum OutboxStatus as "outbox_status" {
        /// Waiting to be sent, or to be tried again.
        Queued = "queued",
        /// Claimed by a sender.
        Sending = "sending",
        /// Delivered to the mail system.
        Sent = "sent",
        /// Given up after its attempts.
        Failed = "failed",
        /// Not sent: the account was deactivated or deleted meanwhile.
        Cancelled = "cancelled",
    }
}
