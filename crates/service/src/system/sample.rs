//! Generated, realistic-looking rosters for the demo data and the import benchmark: names,
//! valid ID numbers matching birth date and gender, guardians with unique phone numbers.
//! Deterministic for a given seed, so the demo is the same on every machine.

use kehou_domain::IdCardNo;
use kehou_domain::school::class_name;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "梁", "郑", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
];
const BOY: &[&str] = &[
    "浩", "宇", "轩", "子", "博", "文", "俊", "晨", "泽", "明", "一", "嘉", "睿", "天", "思", "诚",
];
const GIRL: &[&str] = &[
    "欣", "怡", "雨", "梓", "涵", "诗", "静", "佳", "可", "悦", "语", "彤", "馨", "若", "婉", "琪",
];
const ADULT: &[&str] = &[
    "建国", "志强", "伟", "军", "磊", "勇", "海", "峰", "丽", "芳", "娟", "敏", "燕", "红", "霞",
    "玲",
];
const MOTHER_SURNAMES: &[&str] = &["李", "陈", "林", "黄", "何", "梁", "吴", "罗"];

/// A small deterministic generator (SplitMix64): the same seed gives the same roster.
pub struct Seq(u64);

impl Seq {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// What a roster is generated for.
pub struct RosterSpec<'a> {
    /// Region code whose first four digits start the ID numbers.
    pub region: &'a str,
    /// The first year of the school year, e.g. 2026 for 2026-2027.
    pub year: i32,
    /// Prefix of the student numbers, unique per school.
    pub number_prefix: &'a str,
    /// Guardian phones are `139` + this two-digit block + six digits, unique per roster.
    pub phone_block: u32,
    pub seed: u64,
}

/// Student rows in the import's column order for the given (grade, class number, size)
/// classes. Every student has a father; about two in three also a mother.
pub fn students(spec: &RosterSpec<'_>, classes: &[(u8, u8, usize)]) -> Vec<Vec<String>> {
    let mut seq = Seq::new(spec.seed);
    let mut rows = Vec::new();
    let mut n: u32 = 0;
    for &(grade, number, size) in classes {
        for _ in 0..size {
            n += 1;
            let male = seq.below(2) == 0;
            let surname = seq.pick(SURNAMES);
            let given: String = (0..1 + seq.below(2))
                .map(|_| seq.pick(if male { BOY } else { GIRL }))
                .collect();
            // Born between September of one year and August of the next, six years
            // before entering grade 1.
            let born_year = spec.year - 6 - i32::from(grade) + 1;
            let month = 1 + seq.below(12) as u32;
            let year = if month >= 9 { born_year - 1 } else { born_year };
            let day = 1 + seq.below(28) as u32;
            // Region suffix and order number together are unique for 50 000 students.
            let order = 2 * (n % 500) + u32::from(male);
            let region = format!(
                "{}{:02}",
                spec.region.get(..4).unwrap_or("4420"),
                (n / 500) % 100
            );
            let first17 = format!("{region}{year:04}{month:02}{day:02}{order:03}");
            let id = IdCardNo::complete(&first17).map(|id| id.as_str().to_string());
            let father = format!("{surname}{}", seq.pick(ADULT));
            let mother = format!("{}{}", seq.pick(MOTHER_SURNAMES), seq.pick(ADULT));
            let phone = |k: u32| format!("139{:02}{:06}", spec.phone_block % 100, 2 * n + k);
            let mut row = vec![
                format!("{}{n:05}", spec.number_prefix),
                format!("{surname}{given}"),
                if male { "男" } else { "女" }.to_string(),
                id.unwrap_or_default(),
                format!("{year:04}-{month:02}-{day:02}"),
                class_name(grade, number),
                "在读".to_string(),
                father,
                phone(0),
                "父亲".to_string(),
            ];
            if seq.below(3) > 0 {
                row.extend([mother, phone(1), "母亲".to_string()]);
            } else {
                row.extend([String::new(), String::new(), String::new()]);
            }
            rows.push(row);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosters_are_valid_and_deterministic() {
        let spec = RosterSpec {
            region: "442000",
            year: 2026,
            number_prefix: "S",
            phone_block: 1,
            seed: 7,
        };
        let a = students(&spec, &[(3, 2, 20), (1, 1, 5)]);
        assert_eq!(a.len(), 25);
        assert_eq!(a, students(&spec, &[(3, 2, 20), (1, 1, 5)]));
        for row in &a {
            let id = IdCardNo::parse(&row[3]).expect("valid ID");
            assert_eq!(id.birth_date().to_string(), row[4]);
            assert_eq!(id.gender().label(), row[2]);
            assert_eq!(row[8].len(), 11);
        }
        assert_eq!(a[0][5], "三年级(2)班");
        let phones: std::collections::HashSet<&String> = a
            .iter()
            .flat_map(|r| [&r[8], &r[11]])
            .filter(|p| !p.is_empty())
            .collect();
        let given = a
            .iter()
            .map(|r| 1 + usize::from(!r[11].is_empty()))
            .sum::<usize>();
        assert_eq!(phones.len(), given, "guardian phones are unique");
    }
}
