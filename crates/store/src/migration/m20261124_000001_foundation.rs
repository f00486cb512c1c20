//! Organizations, accounts, roles, memberships, sessions and the audit log.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orgs {
    Table,
    Id,
    ParentId,
    Kind,
    Level,
    Name,
    Code,
    RegionCode,
    Path,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Phone,
    Name,
    PasswordHash,
    Frozen,
    MustChangePassword,
    FailedLogins,
    LockedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    Code,
    Name,
    OrgKind,
    OwnerOrgId,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RolePermissions {
    Table,
    RoleId,
    Permission,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    UserId,
    OrgId,
    RoleId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    MembershipId,
    Kind,
    CsrfToken,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    ActorUserId,
    ActorName,
    MembershipId,
    OrgId,
    OrgPath,
    Action,
    EntityType,
    EntityId,
    Summary,
    Ip,
}

fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    cascade: bool,
) -> ForeignKeyCreateStatement {
    let mut fk = ForeignKey::create();
    fk.from(from.0, from.1).to(to.0, to.1);
    if cascade {
        fk.on_delete(ForeignKeyAction::Cascade);
    }
    fk
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Orgs::Table)
                .col(big_pk_auto(Orgs::Id))
                .col(big_integer_null(Orgs::ParentId))
                .col(string_len(Orgs::Kind, 20))
                .col(string_len_null(Orgs::Level, 20))
                .col(string_len(Orgs::Name, 100))
                .col(string_len_null(Orgs::Code, 50))
                .col(string_len_null(Orgs::RegionCode, 12))
                .col(string_len(Orgs::Path, 400))
                .col(boolean(Orgs::Active))
                .col(timestamp_with_time_zone(Orgs::CreatedAt))
                .col(timestamp_with_time_zone(Orgs::UpdatedAt))
                .foreign_key(&mut fk(
                    (Orgs::Table, Orgs::ParentId),
                    (Orgs::Table, Orgs::Id),
                    false,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_orgs_path")
                .table(Orgs::Table)
                .col(Orgs::Path)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_orgs_parent")
                .table(Orgs::Table)
                .col(Orgs::ParentId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(string_len_uniq(Users::Phone, 11))
                .col(string_len(Users::Name, 50))
                .col(string_len(Users::PasswordHash, 200))
                .col(boolean(Users::Frozen))
                .col(boolean(Users::MustChangePassword))
                .col(integer(Users::FailedLogins))
                .col(timestamp_with_time_zone_null(Users::LockedUntil))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Roles::Table)
                .col(big_pk_auto(Roles::Id))
                .col(string_len_null(Roles::Code, 50).unique_key())
                .col(string_len(Roles::Name, 50))
                .col(string_len(Roles::OrgKind, 20))
                .col(big_integer_null(Roles::OwnerOrgId))
                .col(string_len_null(Roles::Description, 200))
                .col(timestamp_with_time_zone(Roles::CreatedAt))
                .col(timestamp_with_time_zone(Roles::UpdatedAt))
                .foreign_key(&mut fk(
                    (Roles::Table, Roles::OwnerOrgId),
                    (Orgs::Table, Orgs::Id),
                    false,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RolePermissions::Table)
                .col(big_integer(RolePermissions::RoleId))
                .col(string_len(RolePermissions::Permission, 50))
                .primary_key(
                    Index::create()
                        .col(RolePermissions::RoleId)
                        .col(RolePermissions::Permission),
                )
                .foreign_key(&mut fk(
                    (RolePermissions::Table, RolePermissions::RoleId),
                    (Roles::Table, Roles::Id),
                    true,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Memberships::Table)
                .col(big_pk_auto(Memberships::Id))
                .col(big_integer(Memberships::UserId))
                .col(big_integer(Memberships::OrgId))
                .col(big_integer(Memberships::RoleId))
                .col(timestamp_with_time_zone(Memberships::CreatedAt))
                .foreign_key(&mut fk(
                    (Memberships::Table, Memberships::UserId),
                    (Users::Table, Users::Id),
                    true,
                ))
                .foreign_key(&mut fk(
                    (Memberships::Table, Memberships::OrgId),
                    (Orgs::Table, Orgs::Id),
                    false,
                ))
                .foreign_key(&mut fk(
                    (Memberships::Table, Memberships::RoleId),
                    (Roles::Table, Roles::Id),
                    false,
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("uq_memberships_user_org_role")
                .table(Memberships::Table)
                .col(Memberships::UserId)
                .col(Memberships::OrgId)
                .col(Memberships::RoleId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_memberships_org")
                .table(Memberships::Table)
                .col(Memberships::OrgId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(big_pk_auto(Sessions::Id))
                .col(string_len_uniq(Sessions::TokenHash, 64))
                .col(big_integer(Sessions::UserId))
                .col(big_integer_null(Sessions::MembershipId))
                .col(string_len(Sessions::Kind, 10))
                .col(string_len(Sessions::CsrfToken, 64))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                .foreign_key(&mut fk(
                    (Sessions::Table, Sessions::UserId),
                    (Users::Table, Users::Id),
                    true,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(big_pk_auto(AuditEvents::Id))
                .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                .col(big_integer_null(AuditEvents::ActorUserId))
                .col(string_len(AuditEvents::ActorName, 50))
                .col(big_integer_null(AuditEvents::MembershipId))
                .col(big_integer_null(AuditEvents::OrgId))
                .col(string_len(AuditEvents::OrgPath, 400))
                .col(string_len(AuditEvents::Action, 50))
                .col(string_len(AuditEvents::EntityType, 50))
                .col(big_integer_null(AuditEvents::EntityId))
                .col(text(AuditEvents::Summary))
                .col(string_len_null(AuditEvents::Ip, 45))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_scope_time")
                .table(AuditEvents::Table)
                .col(AuditEvents::OrgPath)
                .col(AuditEvents::OccurredAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
