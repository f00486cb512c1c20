//! SMS verification codes (login and password reset by phone), the per-user message
//! centre, and memberships offered to an existing account that await its owner's answer.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SmsCodes {
    Table,
    Id,
    PhoneIndex,
    Purpose,
    CodeHash,
    Ip,
    Attempts,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum Messages {
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    Link,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum MembershipOffers {
    Table,
    Id,
    UserId,
    OrgId,
    RoleIds,
    Payload,
    OfferedBy,
    OfferedByUserId,
    CreatedAt,
    DecidedAt,
    Accepted,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SmsCodes::Table)
                .col(big_pk_auto(SmsCodes::Id))
                .col(string_len(SmsCodes::PhoneIndex, 64))
                .col(string_len(SmsCodes::Purpose, 16))
                .col(string_len(SmsCodes::CodeHash, 64))
                .col(string_len_null(SmsCodes::Ip, 64))
                .col(integer(SmsCodes::Attempts))
                .col(timestamp_with_time_zone(SmsCodes::CreatedAt))
                .col(timestamp_with_time_zone(SmsCodes::ExpiresAt))
                .col(timestamp_with_time_zone_null(SmsCodes::UsedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sms_codes_phone_time")
                .table(SmsCodes::Table)
                .col(SmsCodes::PhoneIndex)
                .col(SmsCodes::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sms_codes_ip_time")
                .table(SmsCodes::Table)
                .col(SmsCodes::Ip)
                .col(SmsCodes::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Messages::Table)
                .col(big_pk_auto(Messages::Id))
                .col(big_integer(Messages::UserId))
                .col(string_len(Messages::Kind, 40))
                .col(string_len(Messages::Title, 200))
                .col(text(Messages::Body))
                .col(string_len_null(Messages::Link, 300))
                .col(timestamp_with_time_zone(Messages::CreatedAt))
                .col(timestamp_with_time_zone_null(Messages::ReadAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_messages_user_read")
                .table(Messages::Table)
                .col(Messages::UserId)
                .col(Messages::ReadAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(MembershipOffers::Table)
                .col(big_pk_auto(MembershipOffers::Id))
                .col(big_integer(MembershipOffers::UserId))
                .col(big_integer(MembershipOffers::OrgId))
                .col(string_len(MembershipOffers::RoleIds, 200))
                .col(text(MembershipOffers::Payload))
                .col(string_len(MembershipOffers::OfferedBy, 100))
                .col(big_integer_null(MembershipOffers::OfferedByUserId))
                .col(timestamp_with_time_zone(MembershipOffers::CreatedAt))
                .col(timestamp_with_time_zone_null(MembershipOffers::DecidedAt))
                .col(boolean_null(MembershipOffers::Accepted))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_membership_offers_user")
                .table(MembershipOffers::Table)
                .col(MembershipOffers::UserId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            SmsCodes::Table.into_iden(),
            Messages::Table.into_iden(),
            MembershipOffers::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
