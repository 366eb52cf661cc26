//! Postcodes and distances: normalising a UK postcode, finding where it is (the postcode itself,
//! or the centre of its district's known postcodes), and great-circle distance.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::postcode_location;

use crate::error::{AppError, AppResult};
use crate::sql::Sql;

/// A point (WGS84 degrees).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
}

/// How precisely a postcode was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationPrecision {
    /// The postcode itself is known.
    Postcode,
    /// Only its district (outward code) is known: the centre of the district's known postcodes.
    District,
}

/// `ng5  6aa` → `NG5 6AA`; refuses what is not shaped like a UK postcode.
pub fn normalise_postcode(field: &str, text: &str) -> AppResult<String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
    let bad = || AppError::bad_input(field, format!("{text:?} is not a UK postcode (e.g. NG5 6AA)"));
    if !(5..=7).contains(&compact.len()) || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(bad());
    }
    let (outward, inward) = compact.split_at(compact.len() - 3);
    let inward_ok = inward.as_bytes()[0].is_ascii_digit() && inward[1..].chars().all(|c| c.is_ascii_alphabetic());
    let outward_ok =
        outward.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && outward.chars().any(|c| c.is_ascii_digit());
    if !inward_ok || !outward_ok {
        return Err(bad());
    }
    Ok(format!("{outward} {inward}"))
}

/// The outward code of a normalised postcode.
pub fn district_of(postcode: &str) -> &str {
    postcode.split(' ').next().unwrap_or(postcode)
}

/// Where `postcode` is: the postcode itself, else the centre of its district's known postcodes.
pub async fn locate(db: &impl ConnectionTrait, field: &str, postcode: &str) -> AppResult<(Point, LocationPrecision)> {
    let postcode = normalise_postcode(field, postcode)?;
    if let Some(found) = postcode_location::Entity::find_by_id(postcode.clone()).one(db).await? {
        return Ok((Point { latitude: found.latitude, longitude: found.longitude }, LocationPrecision::Postcode));
    }
    let mut sql = Sql::new(db.get_database_backend());
    let district = sql.bind(district_of(&postcode).to_owned());
    let rows = sql
        .query_all(
            db,
            format!(
                "SELECT CAST(AVG(latitude) AS DOUBLE PRECISION) AS lat, CAST(AVG(longitude) AS DOUBLE PRECISION) AS lon \
                 FROM postcode_location WHERE district = {district}"
            ),
        )
        .await?;
    let centre = rows
        .first()
        .map(|r| Ok::<_, AppError>((r.try_get::<Option<f64>>("", "lat")?, r.try_get::<Option<f64>>("", "lon")?)))
        .transpose()?;
    match centre {
        Some((Some(latitude), Some(longitude))) => Ok((Point { latitude, longitude }, LocationPrecision::District)),
        _ => Err(AppError::bad_input(field, format!("{postcode} is not a postcode this service can place"))),
    }
}

/// Where each of `postcodes` is (exact matches only), for batches.
pub async fn locate_many(
    db: &impl ConnectionTrait,
    postcodes: impl IntoIterator<Item = String>,
) -> AppResult<std::collections::HashMap<String, Point>> {
    let keys: Vec<String> = postcodes.into_iter().collect();
    if keys.is_empty() {
        return Ok(Default::default());
    }
    Ok(postcode_location::Entity::find()
        .filter(postcode_location::Column::Postcode.is_in(keys))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.postcode, Point { latitude: p.latitude, longitude: p.longitude }))
        .collect())
}

const EARTH_RADIUS_KM: f64 = 6_371.0;

/// Great-circle (haversine) distance in kilometres.
pub fn distance_km(a: Point, b: Point) -> f64 {
    let (la1, la2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.longitude - a.longitude).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

/// A latitude/longitude box that contains every point within `km` of `centre`.
pub fn bounding_box(centre: Point, km: f64) -> (f64, f64, f64, f64) {
    let dlat = (km / EARTH_RADIUS_KM).to_degrees();
    let dlon = dlat / centre.latitude.to_radians().cos().max(0.01);
    (centre.latitude - dlat, centre.latitude + dlat, centre.longitude - dlon, centre.longitude + dlon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes_are_normalised_or_refused() {
        assert_eq!(normalise_postcode("p", " ng5  6aa ").unwrap(), "NG5 6AA");
        assert_eq!(normalise_postcode("p", "LE126AB").unwrap(), "LE12 6AB");
        assert_eq!(normalise_postcode("p", "s80 1aa").unwrap(), "S80 1AA");
        for bad in ["", "NG5", "12345", "NG5 AAA", "NG5 6A!", "NOTAPOSTCODE"] {
            assert!(normalise_postcode("p", bad).is_err(), "{bad}");
        }
        assert_eq!(district_of("NG14 6AB"), "NG14");
    }

    #[test]
    fn distances_are_great_circle_and_boxes_contain_them() {
        // Nottingham Council House to Arnold (about 5.7 km).
        let nottingham = Point { latitude: 52.9536, longitude: -1.1505 };
        let arnold = Point { latitude: 53.0050, longitude: -1.1270 };
        let d = distance_km(nottingham, arnold);
        assert!((5.5..6.0).contains(&d), "{d}");
        assert!(distance_km(arnold, arnold).abs() < 1e-9);
        let (lat0, lat1, lon0, lon1) = bounding_box(nottingham, d);
        assert!(
            arnold.latitude <= lat1 && arnold.latitude >= lat0 && arnold.longitude >= lon0 && arnold.longitude <= lon1
        );
    }
}
