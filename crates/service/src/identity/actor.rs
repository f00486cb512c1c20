//! Who is acting: the authenticated user, and the membership they act through.

use std::collections::BTreeSet;

use kehou_domain::{OrgKind, Permission};

use crate::{Error, Result};

/// An authenticated session, before a membership is chosen.
#[derive(Debug, Clone)]
pub struct Principal {
    pub session_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub phone: String,
    pub must_change_password: bool,
    pub csrf_token: kehou_domain::Secret,
    /// The membership the session acts through, if the user holds any.
    pub actor: Option<Actor>,
    pub ip: Option<String>,
    /// The school last chosen on the school pages, kept with the session.
    pub chosen_school_id: Option<i64>,
}

impl Principal {
    /// The acting membership, required by every call on business data.
    pub fn actor(&self) -> Result<&Actor> {
        if self.must_change_password {
            return Err(Error::PasswordChangeRequired);
        }
        self.actor
            .as_ref()
            .ok_or_else(|| Error::Forbidden("当前账号没有任何身份，请联系管理员分配角色".into()))
    }
}

/// A user acting through one membership: its organization is the scope, its role the
/// permissions. Permissions are read from the database on every request, so a change to a
/// role applies to the next request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub user_name: String,
    pub membership_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_kind: OrgKind,
    /// The path of the acting organization: its whole subtree is the scope.
    pub org_path: String,
    pub role_id: i64,
    pub role_name: String,
    pub permissions: BTreeSet<&'static str>,
    pub ip: Option<String>,
}

impl Actor {
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission.code())
    }

    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden(format!(
                "没有“{}”权限",
                permission.def().name
            )))
        }
    }

    /// Whether an organization with this path lies in the actor's jurisdiction.
    pub fn in_scope(&self, path: &str) -> bool {
        path.starts_with(&self.org_path)
    }

    pub fn is_platform(&self) -> bool {
        self.org_kind == OrgKind::Platform
    }
}
