//! A school's term offering (开课计划, D1, D2, D7, D9, D12): its items with prices taken
//! from the specs when added (a past term's rows never change), fees, grades, capacity,
//! teachers, series parts and care days; the bureau's decision per item.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Offerings {
    Table,
    Id,
    SchoolId,
    TermId,
    Status,
    Reason,
    SubmittedAt,
    DecidedAt,
    DecidedBy,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OfferingItems {
    Table,
    Id,
    OfferingId,
    CourseId,
    Name,
    Category,
    InstitutionId,
    SpecId,
    PriceFen,
    PriceUnit,
    TextbookFeeFen,
    MiscFeeFen,
    Grades,
    Capacity,
    CareTime,
    CareDays,
    Status,
    Reason,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OfferingItemTeachers {
    Table,
    Id,
    ItemId,
    StaffId,
    InstitutionTeacherId,
    Name,
}

#[derive(DeriveIden)]
enum OfferingItemParts {
    Table,
    Id,
    ItemId,
    Position,
    Name,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Offerings::Table)
                .col(big_pk_auto(Offerings::Id))
                .col(big_integer(Offerings::SchoolId))
                .col(big_integer(Offerings::TermId))
                .col(string_len(Offerings::Status, 16))
                .col(text_null(Offerings::Reason))
                .col(timestamp_with_time_zone_null(Offerings::SubmittedAt))
                .col(timestamp_with_time_zone_null(Offerings::DecidedAt))
                .col(string_len_null(Offerings::DecidedBy, 100))
                .col(timestamp_with_time_zone_null(Offerings::PublishedAt))
                .col(timestamp_with_time_zone(Offerings::CreatedAt))
                .col(timestamp_with_time_zone(Offerings::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_offerings_term")
                .table(Offerings::Table)
                .col(Offerings::SchoolId)
                .col(Offerings::TermId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OfferingItems::Table)
                .col(big_pk_auto(OfferingItems::Id))
                .col(big_integer(OfferingItems::OfferingId))
                .col(big_integer(OfferingItems::CourseId))
                .col(string_len(OfferingItems::Name, 50))
                .col(string_len(OfferingItems::Category, 16))
                .col(big_integer_null(OfferingItems::InstitutionId))
                .col(big_integer(OfferingItems::SpecId))
                .col(big_integer(OfferingItems::PriceFen))
                .col(string_len(OfferingItems::PriceUnit, 16))
                .col(big_integer(OfferingItems::TextbookFeeFen))
                .col(big_integer(OfferingItems::MiscFeeFen))
                .col(string_len(OfferingItems::Grades, 40))
                .col(integer(OfferingItems::Capacity))
                .col(string_len_null(OfferingItems::CareTime, 16))
                .col(string_len_null(OfferingItems::CareDays, 20))
                .col(string_len(OfferingItems::Status, 16))
                .col(text_null(OfferingItems::Reason))
                .col(timestamp_with_time_zone(OfferingItems::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_offering_items_course")
                .table(OfferingItems::Table)
                .col(OfferingItems::OfferingId)
                .col(OfferingItems::CourseId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OfferingItemTeachers::Table)
                .col(big_pk_auto(OfferingItemTeachers::Id))
                .col(big_integer(OfferingItemTeachers::ItemId))
                .col(big_integer_null(OfferingItemTeachers::StaffId))
                .col(big_integer_null(OfferingItemTeachers::InstitutionTeacherId))
                .col(string_len(OfferingItemTeachers::Name, 30))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_offering_item_teachers_item")
                .table(OfferingItemTeachers::Table)
                .col(OfferingItemTeachers::ItemId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(OfferingItemParts::Table)
                .col(big_pk_auto(OfferingItemParts::Id))
                .col(big_integer(OfferingItemParts::ItemId))
                .col(integer(OfferingItemParts::Position))
                .col(string_len(OfferingItemParts::Name, 50))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_offering_item_parts_item")
                .table(OfferingItemParts::Table)
                .col(OfferingItemParts::ItemId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            OfferingItemParts::Table.into_iden(),
            OfferingItemTeachers::Table.into_iden(),
            OfferingItems::Table.into_iden(),
            Offerings::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
