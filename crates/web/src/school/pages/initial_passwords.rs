//! Initial passwords for the staff or guardians ticked on a list, as a sheet to hand out.

use axum::extract::State;
use kehou_service::Error;
use kehou_service::school::initial_password::{self, Issued, Target};

use crate::AppState;
use crate::http::extract::{CsrfForm, PageActor, PagePath};
use crate::http::page::{FormData, PageError, PageResult};

/// The ticked ids; a value that is not a number is refused rather than dropped.
fn ticked(form: &FormData) -> Result<Vec<i64>, PageError> {
    form.all("ids")
        .iter()
        .map(|v| v.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| PageError(Error::invalid("ids", "所选人员无效")))
}

fn sheet(filename: &str, issued: Issued) -> PageResult {
    let mut rows: Vec<Vec<String>> = issued
        .issued
        .into_iter()
        .map(|r| vec![r.name, r.role, r.phone, r.password])
        .collect();
    for name in issued.skipped {
        rows.push(vec![
            name,
            String::new(),
            String::new(),
            "未重置：账号属于其他单位，请本人使用原密码或验证码登录".into(),
        ]);
    }
    Ok(crate::http::xlsx::download(
        filename,
        &["姓名", "身份", "登录手机号", "初始密码（首次登录须修改）"],
        &rows,
    ))
}

pub async fn staff(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let ids = ticked(&form)?;
    let issued =
        initial_password::issue(&state.app, &actor, school_id, Some(Target::Staff(ids))).await?;
    sheet("教职工初始密码.xlsx", issued)
}

pub async fn guardians(
    State(state): State<AppState>,
    PageActor(_p, actor): PageActor,
    PagePath(school_id): PagePath<i64>,
    CsrfForm(form): CsrfForm,
) -> PageResult {
    let ids = ticked(&form)?;
    let issued = initial_password::issue(
        &state.app,
        &actor,
        school_id,
        Some(Target::GuardiansOf(ids)),
    )
    .await?;
    sheet("家长初始密码.xlsx", issued)
}
