//! PIDF-LO (RFC 4119, civic address RFC 5139, geodetic shapes RFC 5491),
//! the XML an EIDO carries a location in: read the civic address and the
//! point, and write them back.

/// What Beacon reads of a PIDF-LO location.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PidfLocation {
    /// Street line: house number and suffix, pre-directional, road, street
    /// suffix, post-directional (`HNO HNS PRD RD STS POD`).
    pub street: Option<String>,
    /// `A3`: city.
    pub city: Option<String>,
    /// `A2`: county.
    pub county: Option<String>,
    /// `A1`: state.
    pub state: Option<String>,
    /// `PC`: postal code.
    pub zip: Option<String>,
    /// The first geodetic position (`gml:pos`, "latitude longitude").
    pub point: Option<(f64, f64)>,
}

/// Read a PIDF-LO document. `Err` says what is wrong, never quoting it.
pub fn read(xml: &str) -> Result<PidfLocation, &'static str> {
    let doc = roxmltree::Document::parse(xml).map_err(|_| "is not well-formed XML")?;
    if doc.root_element().tag_name().name() != "presence" {
        return Err("is not a PIDF-LO document (no presence element)");
    }
    let civic = doc.descendants().find(|n| n.is_element() && n.tag_name().name() == "civicAddress");
    let field = |name: &str| -> Option<String> {
        civic?
            .children()
            .find(|n| n.is_element() && n.tag_name().name() == name)
            .and_then(|n| n.text())
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty())
    };
    let number = match (field("HNO"), field("HNS")) {
        (Some(n), Some(s)) => Some(format!("{n}{s}")),
        (n, _) => n,
    };
    let street: Vec<String> =
        [number, field("PRD"), field("RD"), field("STS"), field("POD")].into_iter().flatten().collect();
    let point = doc
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "pos")
        .and_then(|n| n.text())
        .map(|t| t.split_whitespace().map(str::parse::<f64>).collect::<Result<Vec<_>, _>>())
        .transpose()
        .map_err(|_| "has a position that is not two numbers")?
        .map(|v| match v.as_slice() {
            [lat, lon, ..] if lat.is_finite() && lon.is_finite() => Ok((*lat, *lon)),
            _ => Err("has a position that is not two numbers"),
        })
        .transpose()?;
    Ok(PidfLocation {
        street: (!street.is_empty()).then(|| street.join(" ")),
        city: field("A3"),
        county: field("A2"),
        state: field("A1"),
        zip: field("PC"),
        point,
    })
}

/// Escape text for XML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Write a PIDF-LO document for `entity` with a civic address (the street
/// line as `RD`, since Beacon keeps it whole) and, when known, a point.
pub fn write(entity: &str, loc: &PidfLocation) -> String {
    let mut civic = String::new();
    for (tag, value) in [
        ("country", Some("US".to_string())),
        ("A1", loc.state.clone()),
        ("A2", loc.county.clone()),
        ("A3", loc.city.clone()),
        ("RD", loc.street.clone()),
        ("PC", loc.zip.clone()),
    ] {
        if let Some(v) = value {
            civic.push_str(&format!("<{tag}>{}</{tag}>", escape(&v)));
        }
    }
    let point = loc.point.map_or(String::new(), |(lat, lon)| {
        format!(r#"<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>{lat} {lon}</gml:pos></gml:Point>"#)
    });
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" entity="{}"><dm:device id="beacon-location"><gp:geopriv><gp:location-info><civicAddress xmlns="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr">{civic}</civicAddress>{point}</gp:location-info><gp:usage-rules/></gp:geopriv></dm:device></presence>"#,
        escape(entity)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_civic_address_and_a_point_are_read_and_written_back() {
        let xml = r#"<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml" entity="pres:x@y"><gp:geopriv><gp:location-info><civicAddress xmlns="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"><country>US</country><A1>MO</A1><A2>Greene</A2><A3>Springfield</A3><HNO>3315</HNO><PRD>E</PRD><RD>Battlefield</RD><STS>Rd</STS><PC>65804</PC></civicAddress><gml:Point><gml:pos>37.16 -93.26</gml:pos></gml:Point></gp:location-info></gp:geopriv></presence>"#;
        let loc = read(xml).unwrap();
        assert_eq!(loc.street.as_deref(), Some("3315 E Battlefield Rd"));
        assert_eq!(
            (loc.city.as_deref(), loc.county.as_deref(), loc.state.as_deref(), loc.zip.as_deref()),
            (Some("Springfield"), Some("Greene"), Some("MO"), Some("65804"))
        );
        assert_eq!(loc.point, Some((37.16, -93.26)));
        assert_eq!(read(&write("urn:x", &loc)).unwrap(), loc, "what is written reads back the same");
        assert!(read("<not-closed").is_err());
        assert!(read("<html/>").is_err());
        let bad_point = xml.replace("37.16 -93.26", "north");
        assert_eq!(read(&bad_point).unwrap_err(), "has a position that is not two numbers");
    }

    #[test]
    fn text_is_escaped() {
        let loc = PidfLocation { street: Some("1 <A> & 'B' St".into()), ..Default::default() };
        let xml = write("urn:\"x\"", &loc);
        assert!(xml.contains("1 &lt;A&gt; &amp; &apos;B&apos; St"));
        assert_eq!(read(&xml).unwrap().street.as_deref(), Some("1 <A> & 'B' St"));
    }
}
