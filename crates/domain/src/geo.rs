//! Where a teacher checks in (I7, I8): a browser reports WGS-84 coordinates; Chinese maps,
//! on which a school draws its fence, use GCJ-02. A point is converted to the fence's datum
//! and judged inside a circle or a polygon; outside, the distance to the fence is told.

use serde::{Deserialize, Serialize};

/// A position in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub lat: f64,
    pub lng: f64,
}

/// The map datum coordinates are given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Datum {
    /// GPS, what browsers report.
    Wgs84,
    /// The datum of Chinese maps (AMap, Tencent).
    Gcj02,
}

// The Krasovsky 1940 ellipsoid GCJ-02 is defined on.
const A: f64 = 6_378_245.0;
const EE: f64 = 0.006_693_421_622_965_943;
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Mainland China, roughly: GCJ-02 shifts only points inside it.
fn in_china(p: Point) -> bool {
    (72.004..=137.8347).contains(&p.lng) && (0.8293..=55.8271).contains(&p.lat)
}

fn shift_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn shift_lng(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// A WGS-84 point as GCJ-02 (unchanged outside China).
pub fn wgs84_to_gcj02(p: Point) -> Point {
    use std::f64::consts::PI;
    if !in_china(p) {
        return p;
    }
    let d_lat = shift_lat(p.lng - 105.0, p.lat - 35.0);
    let d_lng = shift_lng(p.lng - 105.0, p.lat - 35.0);
    let rad = p.lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    Point {
        lat: p.lat + d_lat * 180.0 / ((A * (1.0 - EE)) / (magic * sqrt_magic) * PI),
        lng: p.lng + d_lng * 180.0 / (A / sqrt_magic * rad.cos() * PI),
    }
}

/// `p` in `datum`, from a WGS-84 reading.
pub fn from_wgs84(p: Point, datum: Datum) -> Point {
    match datum {
        Datum::Wgs84 => p,
        Datum::Gcj02 => wgs84_to_gcj02(p),
    }
}

/// The great-circle distance in metres.
pub fn distance_m(a: Point, b: Point) -> f64 {
    let (la1, la2) = (a.lat.to_radians(), b.lat.to_radians());
    let d_lat = la2 - la1;
    let d_lng = (b.lng - a.lng).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (d_lng / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// A school's check-in area, drawn on a map in `datum`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fence {
    Circle {
        center: Point,
        radius_m: f64,
    },
    /// The corners in order; at least three.
    Polygon {
        corners: Vec<Point>,
    },
}

/// Where a point stands against a fence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    Inside,
    /// Outside, this many metres from the fence's edge.
    Outside(f64),
}

impl Fence {
    /// Whether the fence is drawable: a positive radius up to 5 km, or 3 to 100 corners;
    /// coordinates within range.
    pub fn validate(&self) -> Result<(), String> {
        let ok = |p: &Point| p.lat.abs() <= 90.0 && p.lng.abs() <= 180.0;
        match self {
            Fence::Circle { center, radius_m } => {
                if !ok(center) {
                    return Err("圆心坐标超出范围".into());
                }
                if !(radius_m.is_finite() && *radius_m > 0.0 && *radius_m <= 5000.0) {
                    return Err("半径应在 0 至 5000 米之间".into());
                }
            }
            Fence::Polygon { corners } => {
                if corners.len() < 3 || corners.len() > 100 {
                    return Err("多边形应有 3 至 100 个顶点".into());
                }
                if !corners.iter().all(ok) {
                    return Err("顶点坐标超出范围".into());
                }
            }
        }
        Ok(())
    }

    /// Where `p` (in the fence's datum) stands.
    pub fn place(&self, p: Point) -> Placement {
        match self {
            Fence::Circle { center, radius_m } => {
                let d = distance_m(*center, p);
                if d <= *radius_m {
                    Placement::Inside
                } else {
                    Placement::Outside(d - radius_m)
                }
            }
            Fence::Polygon { corners } => {
                if contains(corners, p) {
                    Placement::Inside
                } else {
                    let edges = corners.iter().zip(corners.iter().cycle().skip(1));
                    Placement::Outside(
                        edges
                            .map(|(a, b)| to_segment_m(p, *a, *b))
                            .fold(f64::INFINITY, f64::min),
                    )
                }
            }
        }
    }
}

/// Ray casting, on degrees (fences are small).
fn contains(corners: &[Point], p: Point) -> bool {
    let mut inside = false;
    let mut j = corners.len() - 1;
    for i in 0..corners.len() {
        let (a, b) = (corners[i], corners[j]);
        if (a.lat > p.lat) != (b.lat > p.lat)
            && p.lng < (b.lng - a.lng) * (p.lat - a.lat) / (b.lat - a.lat) + a.lng
        {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// The distance from `p` to the segment `a`–`b`, on a local flat projection (metres).
fn to_segment_m(p: Point, a: Point, b: Point) -> f64 {
    let k = p.lat.to_radians().cos();
    let m_per_deg = EARTH_RADIUS_M.to_radians();
    let xy = |q: Point| ((q.lng - p.lng) * k * m_per_deg, (q.lat - p.lat) * m_per_deg);
    let ((ax, ay), (bx, by)) = (xy(a), xy(b));
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    };
    let (cx, cy) = (ax + t * dx, ay + t * dy);
    (cx * cx + cy * cy).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(lat: f64, lng: f64) -> Point {
        Point { lat, lng }
    }

    #[test]
    fn gcj02_shifts_points_in_china_by_hundreds_of_metres_and_nothing_abroad() {
        // Beijing: the well-known offset of about 600 m, mostly eastwards.
        let w = pt(39.915, 116.404);
        let g = wgs84_to_gcj02(w);
        assert!((g.lat - 39.916_404).abs() < 2e-4, "{g:?}");
        assert!((g.lng - 116.410_244).abs() < 2e-4, "{g:?}");
        let d = distance_m(w, g);
        assert!((400.0..800.0).contains(&d), "{d}");
        // Zhongshan, where the demo's schools are.
        let d = distance_m(pt(22.52, 113.39), wgs84_to_gcj02(pt(22.52, 113.39)));
        assert!((300.0..800.0).contains(&d), "{d}");
        let paris = pt(48.8566, 2.3522);
        assert_eq!(wgs84_to_gcj02(paris), paris);
        assert_eq!(from_wgs84(w, Datum::Wgs84), w);
    }

    #[test]
    fn distances_are_great_circle_metres() {
        // One degree of latitude is about 111.2 km.
        let d = distance_m(pt(22.0, 113.0), pt(23.0, 113.0));
        assert!((d - 111_195.0).abs() < 50.0, "{d}");
        assert!(distance_m(pt(22.5, 113.4), pt(22.5, 113.4)) < 1e-6);
    }

    #[test]
    fn a_circle_and_a_polygon_tell_inside_from_outside_with_the_distance() {
        let center = pt(22.52, 113.39);
        let circle = Fence::Circle {
            center,
            radius_m: 200.0,
        };
        assert_eq!(circle.place(pt(22.5205, 113.39)), Placement::Inside);
        // About 1 112 m north: 912 m outside.
        match circle.place(pt(22.53, 113.39)) {
            Placement::Outside(d) => assert!((d - 912.0).abs() < 5.0, "{d}"),
            Placement::Inside => panic!("outside"),
        }
        // A square of about 220 m a side around the center.
        let square = Fence::Polygon {
            corners: vec![
                pt(22.519, 113.389),
                pt(22.519, 113.391),
                pt(22.521, 113.391),
                pt(22.521, 113.389),
            ],
        };
        assert_eq!(square.place(center), Placement::Inside);
        match square.place(pt(22.522, 113.390)) {
            // 0.001° of latitude north of the edge: about 111 m.
            Placement::Outside(d) => assert!((d - 111.2).abs() < 2.0, "{d}"),
            Placement::Inside => panic!("outside"),
        }
        assert!(square.validate().is_ok() && circle.validate().is_ok());
        assert!(
            Fence::Polygon {
                corners: vec![center, center]
            }
            .validate()
            .is_err()
        );
        assert!(
            Fence::Circle {
                center,
                radius_m: f64::NAN
            }
            .validate()
            .is_err()
        );
        assert!(
            Fence::Circle {
                center: pt(95.0, 0.0),
                radius_m: 10.0
            }
            .validate()
            .is_err()
        );
    }
}
