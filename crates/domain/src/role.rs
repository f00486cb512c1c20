//! The preset roles of the requirements, seeded into every database.

use crate::org::OrgKind;
use crate::permission::Permission::{self, *};

/// A role every installation has. Its permissions are only the seed: administrators may
/// change them later.
#[derive(Debug, Clone, Copy)]
pub struct PresetRole {
    pub code: &'static str,
    pub name: &'static str,
    /// The kind of organization a membership with this role belongs to.
    pub org_kind: OrgKind,
    pub permissions: &'static [Permission],
}

const ALL: &[Permission] = &[
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
    AttendanceView,
];

pub const PRESET_ROLES: &[PresetRole] = &[
    PresetRole {
        code: "platform_admin",
        name: "平台管理员",
        org_kind: OrgKind::Platform,
        permissions: ALL,
    },
    PresetRole {
        code: "bureau_leader",
        name: "教育局领导",
        org_kind: OrgKind::Bureau,
        // Bureaus see the schools' master data read-only.
        permissions: &[
            OrgView,
            OrgManage,
            UserView,
            UserManage,
            RoleView,
            RoleManage,
            AuditView,
            SchoolView,
            PersonalDataView,
            StudentViewAll,
            SupervisionHalt,
            InstitutionView,
            InstitutionReview,
            CourseSpecManage,
            LibraryReview,
            CoursePolicy,
            OfferingApprove,
            BillingView,
            AttendanceView,
        ],
    },
    PresetRole {
        code: "bureau_officer",
        name: "教育局干事",
        org_kind: OrgKind::Bureau,
        permissions: &[
            OrgView,
            OrgManage,
            UserView,
            UserManage,
            RoleView,
            AuditView,
            SchoolView,
            StudentViewAll,
            InstitutionView,
            InstitutionReview,
            OfferingApprove,
            BillingView,
            AttendanceView,
        ],
    },
    PresetRole {
        code: "expert_reviewer",
        name: "专家评审",
        org_kind: OrgKind::Bureau,
        permissions: &[OrgView, InstitutionView, LibraryReview],
    },
    PresetRole {
        code: "school_admin",
        name: "学校课后服务管理员",
        org_kind: OrgKind::School,
        permissions: &[
            OrgView,
            UserView,
            UserManage,
            RoleView,
            RoleManage,
            AuditView,
            SchoolView,
            SchoolManage,
            PersonalDataView,
            StudentViewAll,
            CourseManage,
            OfferingManage,
            TeachingManage,
            EnrollmentManage,
            BillingManage,
            BillingView,
            AttendanceManage,
            AttendanceView,
            PatrolManage,
            PatrolRecord,
        ],
    },
    PresetRole {
        code: "admin_teacher",
        name: "行政管理教师",
        org_kind: OrgKind::School,
        permissions: &[
            OrgView,
            UserView,
            SchoolView,
            StudentViewAll,
            AttendanceView,
        ],
    },
    PresetRole {
        code: "teacher",
        name: "任课教师",
        org_kind: OrgKind::School,
        permissions: &[SchoolView],
    },
    PresetRole {
        code: "head_teacher",
        name: "班主任",
        org_kind: OrgKind::School,
        permissions: &[SchoolView],
    },
    PresetRole {
        code: "patrol_teacher",
        name: "巡课教师",
        org_kind: OrgKind::School,
        permissions: &[SchoolView, AttendanceView, PatrolRecord],
    },
    PresetRole {
        code: "parent",
        name: "家长",
        org_kind: OrgKind::School,
        permissions: &[],
    },
    PresetRole {
        code: "institution_admin",
        name: "机构管理员",
        org_kind: OrgKind::Institution,
        permissions: &[
            OrgView,
            UserView,
            UserManage,
            RoleView,
            AuditView,
            InstitutionView,
            InstitutionManage,
            CourseManage,
        ],
    },
    PresetRole {
        code: "institution_teacher",
        name: "机构教师",
        org_kind: OrgKind::Institution,
        permissions: &[],
    },
    PresetRole {
        code: "operator",
        name: "运营人员",
        org_kind: OrgKind::Operator,
        permissions: &[OrgView],
    },
];

impl PresetRole {
    /// Whether a membership with this role works only inside the departments (科室) of its
    /// bureau assigned to it: the officer (干事/专干) does, the leader sees everything.
    pub fn by_department(&self) -> bool {
        self.code == "bureau_officer"
    }
}

pub fn preset(code: &str) -> Option<&'static PresetRole> {
    PRESET_ROLES.iter().find(|r| r.code == code)
}
