//! The agency (troop) table and the ZIP table that come with a layer.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::TableError;
use crate::states::state_code;

/// Who serves a jurisdiction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    /// Troop letter or agency name.
    pub troop: String,
    /// False until the assignment is confirmed with the agency.
    pub verified: bool,
}

/// Jurisdiction id → serving troop/agency, and the state the jurisdictions are in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgencyTable {
    map: HashMap<String, Agency>,
    state: Option<&'static str>,
}

impl AgencyTable {
    /// Reads either the shipped troop file
    /// (`{"state": "MO", "troops": {"A": {"counties": [{"fips": "..", "verified": true}, ..]}, ..}}`)
    /// or the generic form `{"state": "MO", "<jurisdiction_id>": {"troop": "A", "verified": true}}`
    /// (`verified` defaults to false: an unconfirmed entry stays marked).
    /// `state`, optional, is the state or territory every jurisdiction of
    /// the layer is in, by postal code or name.
    pub fn from_json(bytes: &[u8]) -> Result<AgencyTable, TableError> {
        let root: Value = serde_json::from_slice(bytes).map_err(|e| TableError::Json(e.to_string()))?;
        let obj = root.as_object().ok_or_else(|| TableError::Json("top level is not an object".into()))?;
        let mut table = AgencyTable::default();
        match obj.get("state") {
            Some(Value::String(s)) => table.set_state(Some(s))?,
            // In the generic form an object is the entry of a jurisdiction whose id is "state".
            Some(Value::Object(_)) if !obj.contains_key("troops") => {}
            None | Some(Value::Null) => {}
            Some(_) => {
                return Err(TableError::Entry { entry: "state".into(), problem: "is not a string".into() });
            }
        }
        if let Some(troops) = obj.get("troops") {
            let troops = troops
                .as_object()
                .ok_or_else(|| TableError::Entry { entry: "troops".into(), problem: "is not an object".into() })?;
            for (troop, t) in troops {
                let counties = t.get("counties").and_then(Value::as_array).ok_or_else(|| TableError::Entry {
                    entry: format!("troop {troop}"),
                    problem: "\"counties\" is missing or not an array".into(),
                })?;
                for (k, c) in counties.iter().enumerate() {
                    let id =
                        c.get("fips").or_else(|| c.get("id")).and_then(id_text).ok_or_else(|| TableError::Entry {
                            entry: format!("troop {troop}, county {k}"),
                            problem: "has no \"fips\"/\"id\"".into(),
                        })?;
                    let verified = c.get("verified").and_then(Value::as_bool).unwrap_or(false);
                    table.insert(id, troop.clone(), verified)?;
                }
            }
        } else {
            for (id, e) in obj {
                if id.starts_with('_') || (id == "state" && !e.is_object()) {
                    continue; // comments such as "_about", and the state
                }
                let troop = e
                    .get("troop")
                    .or_else(|| e.get("agency"))
                    .and_then(id_text)
                    .ok_or_else(|| TableError::Entry { entry: id.clone(), problem: "has no \"troop\"".into() })?;
                let verified = e.get("verified").and_then(Value::as_bool).unwrap_or(false);
                table.insert(id.clone(), troop, verified)?;
            }
        }
        Ok(table)
    }

    /// Reads CSV with a header `jurisdiction_id,troop,verified`; `verified` is
    /// true/false/yes/no/1/0 and an empty value means false.
    pub fn from_csv(bytes: &[u8]) -> Result<AgencyTable, TableError> {
        let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(bytes);
        let headers = rdr.headers().map_err(|e| TableError::Csv(e.to_string()))?.clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
                .ok_or_else(|| TableError::Csv(format!("missing column {name:?}")))
        };
        let (ci, ct, cv) = (col("jurisdiction_id")?, col("troop")?, col("verified")?);
        let mut table = AgencyTable::default();
        for (line, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| TableError::Csv(e.to_string()))?;
            let entry = || format!("CSV row {}", line + 2);
            let id = rec.get(ci).unwrap_or("").to_string();
            let troop = rec.get(ct).unwrap_or("").to_string();
            if id.is_empty() || troop.is_empty() {
                return Err(TableError::Entry { entry: entry(), problem: "empty jurisdiction_id or troop".into() });
            }
            let verified = match rec.get(cv).unwrap_or("").to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => true,
                "false" | "no" | "n" | "0" | "" => false,
                other => {
                    return Err(TableError::Entry {
                        entry: entry(),
                        problem: format!("verified is {other:?}, expected true or false"),
                    });
                }
            };
            table.insert(id, troop, verified)?;
        }
        Ok(table)
    }

    fn insert(&mut self, id: String, troop: String, verified: bool) -> Result<(), TableError> {
        if let Some(prev) = self.map.get(&id) {
            return Err(TableError::Duplicate { id, first: prev.troop.clone(), second: troop });
        }
        self.map.insert(id, Agency { troop, verified });
        Ok(())
    }

    pub fn get(&self, jurisdiction_id: &str) -> Option<&Agency> {
        self.map.get(jurisdiction_id)
    }

    /// Postal code of the state the layer's jurisdictions are in, if known.
    pub fn state(&self) -> Option<&'static str> {
        self.state
    }

    /// Sets (or clears) the layer's state, given by postal code or name in any
    /// case ("MO", "mo", "Missouri"); refuses anything else.
    pub fn set_state(&mut self, state: Option<&str>) -> Result<(), TableError> {
        self.state = match state {
            None => None,
            Some(s) => Some(state_code(s).ok_or_else(|| TableError::Entry {
                entry: "state".into(),
                problem: format!("{s:?} is not a US state or territory (postal code or name)"),
            })?),
        };
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Agency)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v))
    }
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One ZIP code's centre point and county.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ZipEntry {
    pub zip: String,
    pub city: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// The jurisdiction id the ZIP table gives (county FIPS).
    pub county_fips: Option<String>,
}

/// ZIP → centre point and county.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZipTable {
    map: HashMap<String, ZipEntry>,
}

#[derive(Deserialize)]
struct RawZip {
    zip: Value,
    #[serde(default)]
    city: Option<String>,
    #[serde(default)]
    county_fips: Option<Value>,
    #[serde(default)]
    lat: Option<Value>,
    #[serde(default, alias = "lon", alias = "lng")]
    long: Option<Value>,
}

impl ZipTable {
    /// Reads an array of `{zip, city, county_fips, lat, long}` objects; other
    /// fields are ignored. Coordinates may be numbers or numeric strings.
    pub fn from_json(bytes: &[u8]) -> Result<ZipTable, TableError> {
        let raw: Vec<RawZip> = serde_json::from_slice(bytes).map_err(|e| TableError::Json(e.to_string()))?;
        let num = |v: &Option<Value>| {
            match v {
                Some(Value::Number(n)) => n.as_f64(),
                Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|f| f.is_finite())
        };
        let mut map = HashMap::with_capacity(raw.len());
        for (k, r) in raw.iter().enumerate() {
            let zip = id_text(&r.zip)
                .ok_or_else(|| TableError::Entry { entry: format!("ZIP entry {k}"), problem: "has no zip".into() })?;
            let entry = ZipEntry {
                zip: zip.clone(),
                city: r.city.clone(),
                lat: num(&r.lat),
                lon: num(&r.long),
                county_fips: r.county_fips.as_ref().and_then(id_text),
            };
            map.insert(zip, entry);
        }
        Ok(ZipTable { map })
    }

    /// Every ZIP entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &ZipEntry> {
        self.map.values()
    }

    /// Looks up "63101" or "63101-1234" (the first five digits).
    pub fn get(&self, zip: &str) -> Option<&ZipEntry> {
        let z = zip.trim();
        let five: String = z.chars().take_while(|c| c.is_ascii_digit()).collect();
        if five.len() < 5 {
            return self.map.get(z);
        }
        self.map.get(&five[..5])
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}
