//! Course specifications (科目规格) of a city bureau and their prices. A spec keeps its
//! identity (`code`, which the city system will use); a price change is a new row that
//! applies from its date, so the prices of terms that began before it never change.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CourseSpecs {
    Table,
    Id,
    OwnerOrgId,
    Code,
    Name,
    Category,
    ClassSizeMin,
    ClassSizeMax,
    PriceUnit,
    ValidFrom,
    ValidTo,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CourseSpecPrices {
    Table,
    Id,
    SpecId,
    PriceFen,
    EffectiveFrom,
    CreatedAt,
    CreatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CourseSpecs::Table)
                .col(big_pk_auto(CourseSpecs::Id))
                .col(big_integer(CourseSpecs::OwnerOrgId))
                .col(string_len_uniq(CourseSpecs::Code, 40))
                .col(string_len(CourseSpecs::Name, 50))
                .col(string_len(CourseSpecs::Category, 16))
                .col(integer(CourseSpecs::ClassSizeMin))
                .col(integer(CourseSpecs::ClassSizeMax))
                .col(string_len(CourseSpecs::PriceUnit, 16))
                .col(date(CourseSpecs::ValidFrom))
                .col(date_null(CourseSpecs::ValidTo))
                .col(timestamp_with_time_zone(CourseSpecs::CreatedAt))
                .col(timestamp_with_time_zone(CourseSpecs::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_course_specs_owner_name")
                .table(CourseSpecs::Table)
                .col(CourseSpecs::OwnerOrgId)
                .col(CourseSpecs::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CourseSpecPrices::Table)
                .col(big_pk_auto(CourseSpecPrices::Id))
                .col(big_integer(CourseSpecPrices::SpecId))
                .col(big_integer(CourseSpecPrices::PriceFen))
                .col(date(CourseSpecPrices::EffectiveFrom))
                .col(timestamp_with_time_zone(CourseSpecPrices::CreatedAt))
                .col(string_len(CourseSpecPrices::CreatedBy, 100))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_course_spec_prices_from")
                .table(CourseSpecPrices::Table)
                .col(CourseSpecPrices::SpecId)
                .col(CourseSpecPrices::EffectiveFrom)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CourseSpecPrices::Table.into_iden(),
            CourseSpecs::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
