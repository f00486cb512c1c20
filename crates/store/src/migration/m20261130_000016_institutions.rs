//! Institutions (第三方机构): the admission record beside their organization, the
//! documents they prove it with, and every step of their review.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Institutions {
    Table,
    OrgId,
    CreditCode,
    LegalRep,
    ContactName,
    ApplicantUserId,
    Address,
    BusinessScope,
    ServiceTypes,
    Status,
    AppliedAt,
    DecidedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InstitutionDocuments {
    Table,
    Id,
    OrgId,
    Kind,
    FileName,
    ContentType,
    Size,
    Digest,
    StorageKey,
    UploadedAt,
    UploadedBy,
}

#[derive(DeriveIden)]
enum InstitutionEvents {
    Table,
    Id,
    OrgId,
    Action,
    FromStatus,
    ToStatus,
    Reason,
    ActorName,
    ActorUserId,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Institutions::Table)
                .col(
                    ColumnDef::new(Institutions::OrgId)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(string_len_uniq(Institutions::CreditCode, 18))
                .col(string_len(Institutions::LegalRep, 30))
                .col(string_len(Institutions::ContactName, 30))
                .col(big_integer_null(Institutions::ApplicantUserId))
                .col(string_len(Institutions::Address, 200))
                .col(string_len(Institutions::BusinessScope, 500))
                .col(string_len(Institutions::ServiceTypes, 100))
                .col(string_len(Institutions::Status, 16))
                .col(timestamp_with_time_zone(Institutions::AppliedAt))
                .col(timestamp_with_time_zone_null(Institutions::DecidedAt))
                .col(timestamp_with_time_zone(Institutions::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_institutions_status")
                .table(Institutions::Table)
                .col(Institutions::Status)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(InstitutionDocuments::Table)
                .col(big_pk_auto(InstitutionDocuments::Id))
                .col(big_integer(InstitutionDocuments::OrgId))
                .col(string_len(InstitutionDocuments::Kind, 32))
                .col(string_len(InstitutionDocuments::FileName, 120))
                .col(string_len(InstitutionDocuments::ContentType, 40))
                .col(big_integer(InstitutionDocuments::Size))
                .col(string_len(InstitutionDocuments::Digest, 64))
                .col(string_len_uniq(InstitutionDocuments::StorageKey, 32))
                .col(timestamp_with_time_zone(InstitutionDocuments::UploadedAt))
                .col(string_len(InstitutionDocuments::UploadedBy, 100))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_institution_documents_org")
                .table(InstitutionDocuments::Table)
                .col(InstitutionDocuments::OrgId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(InstitutionEvents::Table)
                .col(big_pk_auto(InstitutionEvents::Id))
                .col(big_integer(InstitutionEvents::OrgId))
                .col(string_len(InstitutionEvents::Action, 16))
                .col(string_len_null(InstitutionEvents::FromStatus, 16))
                .col(string_len(InstitutionEvents::ToStatus, 16))
                .col(string_len_null(InstitutionEvents::Reason, 500))
                .col(string_len(InstitutionEvents::ActorName, 100))
                .col(big_integer_null(InstitutionEvents::ActorUserId))
                .col(timestamp_with_time_zone(InstitutionEvents::At))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_institution_events_org")
                .table(InstitutionEvents::Table)
                .col(InstitutionEvents::OrgId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            InstitutionEvents::Table.into_iden(),
            InstitutionDocuments::Table.into_iden(),
            Institutions::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
