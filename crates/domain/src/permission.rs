//! The permission catalog. Permissions are defined here, in code; roles are named sets of
//! them kept in the database.

/// One permission of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    OrgView,
    OrgManage,
    UserView,
    UserManage,
    RoleView,
    RoleManage,
    AuditView,
    SchoolView,
    SchoolManage,
    PersonalDataView,
    StudentViewAll,
    SupervisionHalt,
    InstitutionView,
    InstitutionReview,
    CourseSpecManage,
    InstitutionManage,
    CourseManage,
    LibraryReview,
    CoursePolicy,
    OfferingManage,
    OfferingApprove,
    TeachingManage,
    EnrollmentManage,
    BillingManage,
    BillingView,
    AttendanceManage,
    AttendanceView,
    PatrolManage,
    PatrolRecord,
}

/// A permission's stable code, its name and the group it is shown in.
#[derive(Debug, Clone, Copy)]
pub struct PermissionDef {
    pub permission: Permission,
    pub code: &'static str,
    pub name: &'static str,
    pub group: &'static str,
}

pub const PERMISSIONS: &[PermissionDef] = &[
    PermissionDef {
        permission: Permission::OrgView,
        code: "org.view",
        name: "查看组织机构",
        group: "组织机构",
    },
    PermissionDef {
        permission: Permission::OrgManage,
        code: "org.manage",
        name: "新增、编辑、移动、停用组织机构",
        group: "组织机构",
    },
    PermissionDef {
        permission: Permission::UserView,
        code: "user.view",
        name: "查看用户账号",
        group: "用户账号",
    },
    PermissionDef {
        permission: Permission::UserManage,
        code: "user.manage",
        name: "新增、编辑、冻结、重置密码",
        group: "用户账号",
    },
    PermissionDef {
        permission: Permission::RoleView,
        code: "role.view",
        name: "查看角色与权限",
        group: "角色权限",
    },
    PermissionDef {
        permission: Permission::RoleManage,
        code: "role.manage",
        name: "新增角色、配置权限",
        group: "角色权限",
    },
    PermissionDef {
        permission: Permission::AuditView,
        code: "audit.view",
        name: "查看操作日志",
        group: "操作日志",
    },
    PermissionDef {
        permission: Permission::SchoolView,
        code: "school.view",
        name: "查看学校基础数据（班级、学生、教职工、场室、校历作息等）",
        group: "学校基础信息",
    },
    PermissionDef {
        permission: Permission::SchoolManage,
        code: "school.manage",
        name: "维护学校基础数据（班级、学生、教职工、场室、校历作息等）",
        group: "学校基础信息",
    },
    PermissionDef {
        permission: Permission::PersonalDataView,
        code: "personal.view",
        name: "查看完整证件号和手机号（每次查看都记入操作日志）",
        group: "个人信息",
    },
    PermissionDef {
        permission: Permission::StudentViewAll,
        code: "student.view_all",
        name: "查看全校学生（无此权限只看本人所带班级的学生）",
        group: "学校基础信息",
    },
    PermissionDef {
        permission: Permission::SupervisionHalt,
        code: "supervision.halt",
        name: "一键喊停：停用或重新启用辖区内的学校、机构等组织",
        group: "监管",
    },
    PermissionDef {
        permission: Permission::InstitutionView,
        code: "institution.view",
        name: "查看第三方机构及其入驻申请、资质材料",
        group: "第三方机构",
    },
    PermissionDef {
        permission: Permission::InstitutionReview,
        code: "institution.review",
        name: "审核机构入驻：通过、驳回、退回补充材料",
        group: "第三方机构",
    },
    PermissionDef {
        permission: Permission::CourseSpecManage,
        code: "course.spec",
        name: "维护课程规格与价格（市级教育局）",
        group: "课程",
    },
    PermissionDef {
        permission: Permission::InstitutionManage,
        code: "institution.manage",
        name: "维护本机构的教师、课程和派遣",
        group: "第三方机构",
    },
    PermissionDef {
        permission: Permission::CourseManage,
        code: "course.manage",
        name: "维护本单位的课程（大纲、教辅材料、图片附件），提交课程库和师资库",
        group: "课程",
    },
    PermissionDef {
        permission: Permission::LibraryReview,
        code: "library.review",
        name: "评审课程库和师资库：入库、不通过、出库",
        group: "课程",
    },
    PermissionDef {
        permission: Permission::CoursePolicy,
        code: "course.policy",
        name: "设置辖区开课规则（只开设入库课程和师资、开课须审批）",
        group: "课程",
    },
    PermissionDef {
        permission: Permission::OfferingManage,
        code: "offering.manage",
        name: "编制本校学期开课计划、提交审批、公示",
        group: "课程",
    },
    PermissionDef {
        permission: Permission::OfferingApprove,
        code: "offering.approve",
        name: "开课审批：逐门或整体通过、驳回",
        group: "课程",
    },
    PermissionDef {
        permission: Permission::TeachingManage,
        code: "teaching.manage",
        name: "管理教学班、排课和课表",
        group: "教学",
    },
    PermissionDef {
        permission: Permission::EnrollmentManage,
        code: "enrollment.manage",
        name: "管理报名：报名时段和规则、报名须知、候补、代学生选课、退课审核",
        group: "报名",
    },
    PermissionDef {
        permission: Permission::BillingManage,
        code: "billing.manage",
        name: "管理收费：收款账户、催缴、减免、退费、对账",
        group: "收费",
    },
    PermissionDef {
        permission: Permission::BillingView,
        code: "billing.view",
        name: "查看订单、收费统计与对账",
        group: "收费",
    },
    PermissionDef {
        permission: Permission::AttendanceManage,
        code: "attendance.manage",
        name: "管理考勤：签到电子围栏、请假审批、补打卡与申诉审批",
        group: "考勤",
    },
    PermissionDef {
        permission: Permission::AttendanceView,
        code: "attendance.view",
        name: "查看教师签到、学生考勤与课时统计",
        group: "考勤",
    },
    PermissionDef {
        permission: Permission::PatrolManage,
        code: "patrol.manage",
        name: "管理巡课：巡课任务、巡课记录与报表",
        group: "巡课",
    },
    PermissionDef {
        permission: Permission::PatrolRecord,
        code: "patrol.record",
        name: "巡课：查看当日课程与师生考勤，为课堂和教师评分",
        group: "巡课",
    },
];

impl Permission {
    pub fn def(self) -> &'static PermissionDef {
        // The catalog lists the variants in declaration order; the test below keeps it so.
        &PERMISSIONS[self as usize]
    }

    pub fn code(self) -> &'static str {
        self.def().code
    }

    pub fn from_code(code: &str) -> Option<Self> {
        PERMISSIONS
            .iter()
            .find(|d| d.code == code)
            .map(|d| d.permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_is_complete_and_unique() {
        let all = [
            Permission::OrgView,
            Permission::OrgManage,
            Permission::UserView,
            Permission::UserManage,
            Permission::RoleView,
            Permission::RoleManage,
            Permission::AuditView,
            Permission::SchoolView,
            Permission::SchoolManage,
            Permission::PersonalDataView,
            Permission::StudentViewAll,
            Permission::SupervisionHalt,
            Permission::InstitutionView,
            Permission::InstitutionReview,
            Permission::CourseSpecManage,
            Permission::InstitutionManage,
            Permission::CourseManage,
            Permission::LibraryReview,
            Permission::CoursePolicy,
            Permission::OfferingManage,
            Permission::OfferingApprove,
            Permission::TeachingManage,
            Permission::EnrollmentManage,
            Permission::BillingManage,
            Permission::BillingView,
            Permission::AttendanceManage,
            Permission::AttendanceView,
            Permission::PatrolManage,
            Permission::PatrolRecord,
        ];
        assert_eq!(all.len(), PERMISSIONS.len());
        for p in all {
            assert_eq!(p.def().permission, p);
            assert_eq!(Permission::from_code(p.code()), Some(p));
        }
        let mut codes: Vec<_> = PERMISSIONS.iter().map(|d| d.code).collect();
        codes.dedup();
        assert_eq!(codes.len(), PERMISSIONS.len());
        assert_eq!(Permission::from_code("nope"), None);
    }
}
