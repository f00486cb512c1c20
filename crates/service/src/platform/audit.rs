//! The append-only audit trail (A7): written in the transaction of each change, read by
//! administrators within their jurisdiction.

use chrono::{DateTime, Utc};
use kehou_domain::Permission;
use kehou_store::entity::platform::audit_event;
use kehou_store::sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::{Actor, App, Page, PageRequest, Result};

/// The fields a change changed, old → new, for its audit line:
/// `姓名：张三 → 张珊；班级：无 → 三年级(2)班`. Personal data goes in masked
/// ([`Diff::secret`]).
#[derive(Debug, Default)]
pub struct Diff(Vec<String>);

impl Diff {
    /// Notes `label` when its value changed; an empty value reads 无.
    pub fn field(&mut self, label: &str, old: &str, new: &str) {
        if old != new {
            let shown = |v: &str| {
                if v.is_empty() {
                    "无".to_string()
                } else {
                    v.to_string()
                }
            };
            self.0
                .push(format!("{label}：{} → {}", shown(old), shown(new)));
        }
    }

    /// Notes that a personal value changed, without either value.
    pub fn secret(&mut self, label: &str, changed: bool) {
        if changed {
            self.0.push(format!("{label}：已更改"));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `：a → b；c → d`, or `（无变化）`.
    pub fn suffix(&self) -> String {
        if self.0.is_empty() {
            "（无变化）".into()
        } else {
            format!("：{}", self.0.join("；"))
        }
    }
}

/// Who made a change: a person acting through a membership, or the system itself (demo
/// loading, the command line).
pub struct By<'a> {
    pub user_id: Option<i64>,
    pub name: &'a str,
    pub membership_id: Option<i64>,
    pub ip: Option<&'a str>,
}

impl<'a> By<'a> {
    pub fn actor(actor: &'a Actor) -> Self {
        Self {
            user_id: Some(actor.user_id),
            name: &actor.user_name,
            membership_id: Some(actor.membership_id),
            ip: actor.ip.as_deref(),
        }
    }

    pub fn system() -> Self {
        Self {
            user_id: None,
            name: "系统",
            membership_id: None,
            ip: None,
        }
    }
}

/// What changed: the organization the change belongs to decides who may see the event.
pub struct Change<'a> {
    pub org_id: Option<i64>,
    pub org_path: &'a str,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<i64>,
    pub summary: String,
}

/// An audit event of a change at a school (`school` = id and org path), at the app's time.
pub(crate) async fn record_at_school(
    db: &impl ConnectionTrait,
    app: &crate::App,
    by: &By<'_>,
    school: (i64, &str),
    action: &str,
    entity: (&str, i64),
    summary: String,
) -> Result<()> {
    record(
        db,
        app.now(),
        by,
        Change {
            org_id: Some(school.0),
            org_path: school.1,
            action,
            entity_type: entity.0,
            entity_id: Some(entity.1),
            summary,
        },
    )
    .await
}

pub async fn record(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    by: &By<'_>,
    change: Change<'_>,
) -> Result<()> {
    audit_event::ActiveModel {
        occurred_at: Set(now),
        actor_user_id: Set(by.user_id),
        actor_name: Set(by.name.chars().take(50).collect()),
        membership_id: Set(by.membership_id),
        org_id: Set(change.org_id),
        org_path: Set(change.org_path.to_string()),
        action: Set(change.action.to_string()),
        entity_type: Set(change.entity_type.to_string()),
        entity_id: Set(change.entity_id),
        summary: Set(change.summary),
        ip: Set(by.ip.map(|ip| ip.chars().take(45).collect())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub actor_user_id: Option<i64>,
    /// Part of the acting person's name.
    pub actor_name: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEventView {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub membership_id: Option<i64>,
    pub org_id: Option<i64>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<i64>,
    pub summary: String,
    pub ip: Option<String>,
}

impl From<audit_event::Model> for AuditEventView {
    fn from(m: audit_event::Model) -> Self {
        Self {
            id: m.id,
            occurred_at: m.occurred_at,
            actor_user_id: m.actor_user_id,
            actor_name: m.actor_name,
            membership_id: m.membership_id,
            org_id: m.org_id,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            summary: m.summary,
            ip: m.ip,
        }
    }
}

/// Events of the actor's jurisdiction, newest first.
pub async fn list(
    app: &App,
    actor: &Actor,
    filter: &AuditFilter,
    page: PageRequest,
) -> Result<Page<AuditEventView>> {
    actor.require(Permission::AuditView)?;
    let mut query = audit_event::Entity::find()
        .filter(audit_event::Column::OrgPath.starts_with(&actor.org_path));
    if let Some(from) = filter.from {
        query = query.filter(audit_event::Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_event::Column::OccurredAt.lt(to));
    }
    if let Some(name) = filter
        .actor_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        query = query.filter(audit_event::Column::ActorName.contains(name));
    }
    if let Some(user) = filter.actor_user_id {
        query = query.filter(audit_event::Column::ActorUserId.eq(user));
    }
    if let Some(entity_type) = &filter.entity_type {
        query = query.filter(audit_event::Column::EntityType.eq(entity_type.as_str()));
    }
    if let Some(entity_id) = filter.entity_id {
        query = query.filter(audit_event::Column::EntityId.eq(entity_id));
    }
    let total = query.clone().count(&app.db).await?;
    let items = query
        .order_by_desc(audit_event::Column::OccurredAt)
        .order_by_desc(audit_event::Column::Id)
        .offset(page.offset())
        .limit(page.page_size)
        .all(&app.db)
        .await?;
    Ok(Page {
        items: items.into_iter().map(Into::into).collect(),
        total,
        page: page.page,
        page_size: page.page_size,
    })
}

/// What events concern, for the filter: every `entity_type` the code records.
pub const ENTITY_TYPES: &[(&str, &str)] = &[
    ("org", "组织机构"),
    ("user", "用户账号"),
    ("role", "角色"),
    ("department", "科室"),
    ("institution", "第三方机构"),
    ("course_spec", "课程规格"),
    ("course", "课程"),
    ("library_entry", "课程库与师资库"),
    ("offering", "开课计划"),
    ("course_plan", "课程方案"),
    ("institution_teacher", "机构教师"),
    ("institution_department", "机构部门"),
    ("dispatch", "教师派遣"),
    ("teaching_class", "教学班"),
    ("timetable", "课表与排课"),
    ("calendar_feed", "课表订阅"),
    ("enrollment", "报名"),
    ("drop_request", "退课申请"),
    ("enrollment_change", "调课申请"),
    ("platform", "平台"),
    ("person", "个人信息"),
    ("receiving_account", "收款账户"),
    ("payment", "支付单"),
    ("refund", "退款单"),
    ("recon_difference", "对账差异"),
    ("refund_report", "退款未到账反馈"),
    ("enrollment_notice", "报名须知"),
    ("school", "学校"),
    ("room", "场室"),
    ("term", "学期"),
    ("period", "作息"),
    ("admin_class", "行政班"),
    ("unit", "教研组/岗位"),
    ("staff", "教职工"),
    ("student", "学生"),
];

/// The Chinese name of every action the code records; the audit page shows these.
pub fn action_label(action: &str) -> Option<&'static str> {
    Some(match action {
        "org.create" => "新增组织",
        "org.update" => "修改组织",
        "user.create" => "新增用户",
        "user.update" => "修改用户",
        "user.freeze" => "冻结账号",
        "user.unfreeze" => "解冻账号",
        "user.reset_password" => "重置密码",
        "user.change_password" => "修改密码",
        "user.reset_password_sms" => "短信重置密码",
        "user.initial_passwords" => "生成初始密码",
        "user.lock" => "账号锁定",
        "auth.login" => "登录",
        "auth.login_failed" => "登录失败",
        "membership.create" => "添加身份",
        "membership.delete" => "移除身份",
        "membership.offer" => "邀请加入",
        "membership.accept" => "接受邀请",
        "membership.decline" => "拒绝邀请",
        "role.create" => "新增角色",
        "role.permissions" => "配置权限",
        "department.create" => "新增科室",
        "department.update" => "修改科室",
        "department.delete" => "删除科室",
        "membership.departments" => "设置科室",
        "institution.apply" => "机构申请入驻",
        "institution.resubmit" => "机构重新提交申请",
        "institution.decide" => "审核或处理机构",
        "institution.profile" => "修改机构资料",
        "course_spec.create" => "新增课程规格",
        "course_spec.update" => "修改课程规格",
        "course_spec.price" => "课程规格调价",
        "course.create" => "新增课程",
        "course.update" => "修改课程",
        "course.files" => "课程图片和附件",
        "course.policy" => "设置开课规则",
        "library.submit" => "提交课程库或师资库",
        "library.decide" => "评审课程库或师资库",
        "offering.item_add" => "开课计划添加课程",
        "offering.item_update" => "开课计划修改课程",
        "offering.item_remove" => "开课计划删除课程",
        "offering.copy" => "复制上学期开课计划",
        "offering.submit" => "提交开课审批",
        "offering.withdraw" => "撤回开课计划",
        "offering.approve" => "开课审批通过",
        "offering.reject" => "开课审批驳回",
        "offering.publish" => "开课公示",
        "course_plan.create" => "新增课程方案",
        "course_plan.update" => "修改课程方案",
        "course_plan.line" => "设置方案开课计划",
        "course_plan.line_remove" => "删除方案开课计划",
        "course_plan.import" => "导入课程方案",
        "institution_teacher.create" => "新增机构教师",
        "institution_teacher.record" => "上传无犯罪记录证明",
        "institution_department.create" => "新增机构部门",
        "institution_department.delete" => "删除机构部门",
        "institution_department.assign" => "设置教师部门",
        "teaching_class.create" => "新建教学班",
        "teaching_class.update" => "修改教学班",
        "teaching_class.delete" => "删除教学班",
        "teaching_class.status" => "教学班状态变更",
        "teaching_class.students" => "教学班学生",
        "teaching_class.import" => "导入教学班",
        "teaching_class.transfer" => "调班",
        "schedule.settings" => "排课设置",
        "schedule.run" => "开始自动排课",
        "schedule.cancel" => "取消自动排课",
        "schedule.result" => "自动排课结果",
        "schedule.move" => "调整课表",
        "enrollment.rules" => "设置报名规则",
        "enrollment.window_add" => "新增报名时段",
        "enrollment.window_remove" => "删除报名时段",
        "enrollment.group_add" => "新增互斥课程组",
        "enrollment.group_remove" => "删除互斥课程组",
        "enrollment.notice_publish" => "发布报名须知",
        "enrollment.notice_sign" => "签署报名须知",
        "enrollment.select" => "报名选课",
        "enrollment.drop" => "退课",
        "enrollment.drop_request" => "申请退课",
        "enrollment.drop_withdraw" => "撤回退课申请",
        "enrollment.drop_decide" => "审核退课申请",
        "enrollment.change_request" => "申请调课或调班",
        "enrollment.change_withdraw" => "撤回调课申请",
        "enrollment.change_decide" => "审核调课申请",
        "retention.apply" => "按保存期限清理数据",
        "system.backup" => "备份",
        "system.restore" => "恢复备份",
        "privacy.export" => "导出个人信息",
        "privacy.erase" => "删除个人信息",
        "attendance.fence" => "设置签到电子围栏",
        "attendance.check_in" => "教师签到",
        "attendance.punch_request" => "申请补打卡或迟到申诉",
        "attendance.punch_decide" => "审批补打卡或迟到申诉",
        "attendance.roll_call" => "点名",
        "attendance.change_request" => "申请调代课",
        "attendance.change_decide" => "审批调代课",
        "attendance.leave_request" => "申请请假",
        "attendance.leave_decide" => "审批请假",
        "attendance.teacher_leave_request" => "教师申请请假",
        "attendance.teacher_leave_decide" => "审批教师请假",
        "patrol.task" => "新增巡课任务",
        "patrol.task_close" => "停止巡课任务",
        "patrol.record" => "巡课记录",
        "billing.account" => "设置收款账户",
        "billing.fee_rules" => "设置收费与退费规则",
        "billing.refund_offer" => "提出退款金额待家长确认",
        "billing.refund_offer_declined" => "家长不同意退款金额",
        "billing.paid" => "收款",
        "billing.refund" => "退款",
        "billing.refund_resolve" => "线下处理退款",
        "billing.reconcile" => "对账",
        "billing.remind" => "一键催缴",
        "billing.waive" => "减免费用",
        "billing.extend" => "延期缴费",
        "billing.refund_report" => "反馈退款未到账",
        "billing.refund_answer" => "答复退款未到账",
        "billing.difference_resolve" => "处理对账差异",
        "enrollment.cancel" => "取消报名",
        "enrollment.expire" => "超时释放名额",
        "enrollment.waitlist_join" => "加入候补",
        "enrollment.waitlist_offer" => "候补递补",
        "enrollment.lottery_seed" => "公布抽签随机种子",
        "enrollment.assign_run" => "自动分班",
        "enrollment.cancel_for" => "学校为学生取消报名",
        "enrollment.assign_publish" => "发布分班结果",
        "enrollment.merge" => "合并教学班",
        "enrollment.split" => "拆分教学班",
        "enrollment.lottery_draw" => "志愿抽签",
        "enrollment.lottery_publish" => "公布志愿录取结果",
        "calendar_feed.create" => "生成课表订阅链接",
        "calendar_feed.revoke" => "停用课表订阅链接",
        "dispatch.create" => "派遣教师",
        "dispatch.cancel" => "取消派遣",
        "room.create" => "新增场室",
        "room.update" => "修改场室",
        "room.import" => "导入场室",
        "term.create" => "新增学期",
        "term.update" => "修改学期",
        "term.calendar" => "设置校历",
        "period.set" => "设置作息",
        "school.profile" => "设置学校信息",
        "school.contact_add" => "新增紧急联系人",
        "school.contact_remove" => "删除紧急联系人",
        "personal.view" => "查看个人信息",
        "admin_class.create" => "新增行政班",
        "admin_class.update" => "修改行政班",
        "admin_class.promote" => "班级升级",
        "admin_class.import" => "导入行政班",
        "unit.create" => "新增教研组/岗位",
        "unit.delete" => "删除教研组/岗位",
        "staff.create" => "新增教职工",
        "staff.update" => "修改教职工",
        "staff.import" => "导入教职工",
        "student.create" => "新增学生",
        "student.update" => "修改学生",
        "student.import" => "导入学生",
        "guardian.create" => "添加监护人",
        "guardian.delete" => "移除监护人",
        _ => return None,
    })
}

/// Deletes the audit events that happened before `cutoff` (the retention policy keeps them
/// at least 180 days, as 等保 asks of logs).
pub(crate) async fn purge_before(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64> {
    let deleted = audit_event::Entity::delete_many()
        .filter(audit_event::Column::OccurredAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// The latest events of one action, newest first (the operator's backups, retention runs).
pub(crate) async fn latest(
    db: &impl ConnectionTrait,
    action: &str,
    limit: u64,
) -> Result<Vec<audit_event::Model>> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// A person's own activity, newest first (at most 1 000 events), for their personal-data
/// export.
pub(crate) async fn personal_data_of(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<Vec<serde_json::Value>> {
    use crate::platform::clock::china_time;
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::ActorUserId.eq(user_id))
        .order_by_desc(audit_event::Column::Id)
        .limit(1000)
        .all(db)
        .await?;
    Ok(events
        .iter()
        .map(|a| {
            serde_json::json!({
                "时间": china_time(a.occurred_at),
                "操作": action_label(&a.action).unwrap_or(a.action.as_str()),
                "内容": a.summary,
                "IP": a.ip,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    /// Every action and entity type written anywhere in the use cases has its Chinese
    /// name: the source is read for `action: "…"` and `entity_type: "…"`.
    #[test]
    fn a7_every_recorded_action_has_a_label() {
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("read src").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(std::fs::read_to_string(&path).expect("read file"));
                }
            }
        }
        let mut sources = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut sources,
        );
        let quoted_after = |text: &str, key: &str| -> Vec<String> {
            text.match_indices(key)
                .filter_map(|(i, _)| {
                    let rest = &text[i + key.len()..];
                    rest.find('"').map(|end| rest[..end].to_string())
                })
                // Codes only (`student.update`), not this test's own prose.
                .filter(|code| {
                    !code.is_empty()
                        && code
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.')
                })
                .collect()
        };
        let mut actions = vec!["auth.login_failed".to_string()];
        let mut entities = Vec::new();
        for text in &sources {
            actions.extend(quoted_after(text, "action: \""));
            entities.extend(quoted_after(text, "entity_type: \""));
        }
        for kind in crate::import::Kind::ALL {
            actions.push(format!("{}.import", kind.entity()));
        }
        // Offering decisions are recorded as `offering.<action>`.
        for a in kehou_domain::course::OfferingAction::ALL {
            actions.push(format!("offering.{}", a.code()));
        }
        assert!(actions.len() > 30, "{actions:?}");
        for action in &actions {
            assert!(
                super::action_label(action).is_some(),
                "no label for {action}"
            );
        }
        for entity in &entities {
            assert!(
                super::ENTITY_TYPES.iter().any(|(code, _)| code == entity),
                "no filter for {entity}"
            );
        }
    }
}
