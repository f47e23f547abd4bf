//! One test per error class: each breaks a valid model in one place and checks the error's kind,
//! file, line, and that the message names the element and attribute.

use motornet_mjcf::{parse_file, parse_str, ErrorKind, MjcfError};

/// A valid model; line numbers are those of the lines below (the text starts on line 1).
const BASE: &str = r#"<mujoco model="t">
  <compiler angle="radian"/>
  <option><flag contact="disable" constraint="disable"/></option>
  <default><default class="c"><joint damping="1"/></default></default>
  <worldbody>
    <site name="a" pos="0 0 0.1"/>
    <body name="b">
      <joint name="j" axis="0 1 0"/>
      <geom name="g" type="sphere" size="0.05" mass="1"/>
      <site name="s" pos="0 0 -0.1"/>
      <site name="side" pos="0.1 0 0"/>
    </body>
  </worldbody>
  <tendon><spatial name="t"><site site="a"/><geom geom="g" sidesite="side"/><site site="s"/></spatial></tendon>
  <actuator><muscle name="m" tendon="t" force="10" lengthrange="0.1 0.3"/></actuator>
</mujoco>
"#;

fn broken(old: &str, new: &str) -> MjcfError {
    assert!(BASE.contains(old), "{old} not in the base model");
    parse_str(&BASE.replacen(old, new, 1), "model.xml")
        .expect_err("the broken model must not parse")
}

/// Checks kind and line, that the display starts with `model.xml:LINE: `, and that the message
/// contains every fragment.
fn expect(err: &MjcfError, kind: ErrorKind, line: u32, fragments: &[&str]) {
    assert_eq!(err.kind, kind, "{err}");
    assert_eq!(err.line, line, "{err}");
    assert_eq!(err.file, "model.xml");
    let shown = err.to_string();
    assert!(shown.starts_with(&format!("model.xml:{line}: ")), "{shown}");
    for f in fragments {
        assert!(err.message.contains(f), "{shown} lacks {f}");
    }
}

#[test]
fn base_model_is_valid() {
    let m = parse_str(BASE, "model.xml").unwrap();
    assert_eq!((m.bodies.len(), m.joints.len(), m.sites.len()), (2, 1, 3));
}

#[test]
fn io_error_names_the_file() {
    let err = parse_file(std::path::Path::new("/nonexistent/arm.xml")).unwrap_err();
    assert_eq!((err.kind, err.line), (ErrorKind::Io, 0));
    assert!(
        err.to_string()
            .starts_with("/nonexistent/arm.xml: cannot read"),
        "{err}"
    );
}

#[test]
fn malformed_xml_is_a_syntax_error_with_its_line() {
    let err = broken(
        r#"<site name="s" pos="0 0 -0.1"/>"#,
        r#"<site name="s" pos="0 0 -0.1">"#,
    );
    assert_eq!(err.kind, ErrorKind::Syntax, "{err}");
    assert!(err.line >= 10, "{err}");
}

#[test]
fn unknown_elements_are_named_with_their_line() {
    let err = broken(
        "  <compiler",
        "  <include file=\"other.xml\"/>\n  <compiler",
    );
    expect(
        &err,
        ErrorKind::UnknownElement,
        2,
        &["<include>", "<mujoco>"],
    );
    let err = broken("  <worldbody>", "  <asset/>\n  <worldbody>");
    expect(&err, ErrorKind::UnknownElement, 5, &["<asset>"]);
}

#[test]
fn unknown_elements_in_bodies_tendons_and_actuators() {
    let err = broken(
        "      <site name=\"side\"",
        "      <composite/>\n      <site name=\"side\"",
    );
    expect(
        &err,
        ErrorKind::UnknownElement,
        11,
        &["<composite>", "<body>"],
    );
    let err = broken(
        "<muscle name=\"m\"",
        "<motor joint=\"j\"/><muscle name=\"m\"",
    );
    expect(
        &err,
        ErrorKind::UnknownElement,
        15,
        &["<motor>", "only <muscle>"],
    );
    let err = broken("<option>", "<option><contact/>");
    expect(
        &err,
        ErrorKind::UnknownElement,
        3,
        &["<contact>", "<option>"],
    );
}

#[test]
fn unknown_attributes_are_named_with_their_line() {
    let err = broken(r#"mass="1""#, r#"mass="1" mesh="arm""#);
    expect(
        &err,
        ErrorKind::UnknownAttribute,
        9,
        &["<geom>", "\"mesh\""],
    );
    // An attribute on a later line than its element is reported at its own line.
    let err = broken(
        r#"<joint name="j" axis="0 1 0"/>"#,
        "<joint name=\"j\"\n axis=\"0 1 0\"\n user=\"1\"/>",
    );
    expect(
        &err,
        ErrorKind::UnknownAttribute,
        10,
        &["<joint>", "\"user\""],
    );
    // In a default class too.
    let err = broken(
        r#"<joint damping="1"/>"#,
        r#"<joint damping="1" name="x"/>"#,
    );
    expect(
        &err,
        ErrorKind::UnknownAttribute,
        4,
        &["<joint>", "\"name\""],
    );
}

#[test]
fn unsupported_values_say_what_is_supported() {
    let err = broken(r#"axis="0 1 0"/>"#, r#"axis="0 1 0" type="ball"/>"#);
    expect(
        &err,
        ErrorKind::Unsupported,
        8,
        &["<joint>", "\"type\"", "ball", "hinge and slide"],
    );
    let err = broken(r#"axis="0 1 0"/>"#, r#"axis="0 1 0" stiffness="3"/>"#);
    expect(
        &err,
        ErrorKind::Unsupported,
        8,
        &["<joint>", "\"stiffness\"", "only 0"],
    );
    let err = broken(r#"force="10""#, r#"force="10" gear="2""#);
    expect(
        &err,
        ErrorKind::Unsupported,
        15,
        &["<muscle>", "\"gear\"", "only gear 1"],
    );
    let err = broken(r#"tendon="t""#, r#"joint="j""#);
    expect(
        &err,
        ErrorKind::Unsupported,
        15,
        &["<muscle>", "\"joint\"", "tendons only"],
    );
    let err = broken(
        r#"<flag contact="disable" constraint="disable"/>"#,
        r#"<flag constraint="disable"/>"#,
    );
    expect(&err, ErrorKind::Unsupported, 3, &["<option>", "contact"]);
    let err = broken(r#"<joint name="j" axis="0 1 0"/>"#, "<freejoint/>");
    expect(&err, ErrorKind::Unsupported, 8, &["<freejoint>"]);
    let err = broken(r#"type="sphere""#, r#"type="mesh""#);
    expect(
        &err,
        ErrorKind::Unsupported,
        9,
        &["<geom>", "\"type\"", "mesh"],
    );
}

#[test]
fn bad_numbers_and_counts_are_bad_values() {
    let err = broken(r#"pos="0 0 -0.1""#, r#"pos="0 0 -0.1x""#);
    expect(
        &err,
        ErrorKind::BadValue,
        10,
        &["<site>", "\"pos\"", "-0.1x"],
    );
    let err = broken(r#"pos="0 0 -0.1""#, r#"pos="0 0""#);
    expect(
        &err,
        ErrorKind::BadValue,
        10,
        &["<site>", "\"pos\"", "3 number(s), got 2"],
    );
    let err = broken(r#"size="0.05""#, r#"size="0.05 1 2 3""#);
    expect(
        &err,
        ErrorKind::BadValue,
        9,
        &["<geom>", "\"size\"", "1 to 3"],
    );
    let err = broken(r#"size="0.05""#, r#"size="-0.05""#);
    expect(
        &err,
        ErrorKind::BadValue,
        9,
        &["<geom>", "\"size\"", "positive"],
    );
    let err = broken(r#"lengthrange="0.1 0.3""#, r#"lengthrange="0.3 0.1""#);
    expect(
        &err,
        ErrorKind::BadValue,
        15,
        &["<muscle>", "\"lengthrange\""],
    );
    let err = broken(r#"force="10""#, r#"force="10" lmin="1.2""#);
    expect(
        &err,
        ErrorKind::BadValue,
        15,
        &["<muscle>", "\"lmin\"", "lmin < 1 < lmax"],
    );
    // A bad value in a default class is reported at the class's line.
    let xml = BASE
        .replace(r#"<joint damping="1"/>"#, r#"<joint damping="-1"/>"#)
        .replace(r#"<joint name="j""#, r#"<joint name="j" class="c""#);
    let err = parse_str(&xml, "model.xml").unwrap_err();
    expect(
        &err,
        ErrorKind::BadValue,
        4,
        &["<joint>", "\"damping\"", "≥ 0"],
    );
    let err = broken(r#"axis="0 1 0"/>"#, r#"axis="0 1 0" limited="true"/>"#);
    expect(
        &err,
        ErrorKind::BadValue,
        8,
        &["<joint>", "\"limited\"", "range"],
    );
}

#[test]
fn missing_required_attributes() {
    let err = broken(r#" lengthrange="0.1 0.3""#, "");
    expect(
        &err,
        ErrorKind::MissingAttribute,
        15,
        &["<muscle>", "\"lengthrange\""],
    );
    let err = broken(r#" force="10""#, "");
    expect(
        &err,
        ErrorKind::MissingAttribute,
        15,
        &["<muscle>", "\"force\""],
    );
    let err = broken(
        "      <site name=\"s\"",
        "      <inertial pos=\"0 0 0\" mass=\"1\"/>\n      <site name=\"s\"",
    );
    expect(
        &err,
        ErrorKind::MissingAttribute,
        10,
        &["<inertial>", "diaginertia"],
    );
}

#[test]
fn duplicate_names() {
    let err = broken(r#"<site name="side""#, r#"<site name="a""#);
    expect(
        &err,
        ErrorKind::DuplicateName,
        11,
        &["<site>", "\"name\"", "\"a\""],
    );
    let err = broken(r#"<body name="b">"#, r#"<body name="world">"#);
    expect(&err, ErrorKind::DuplicateName, 7, &["<body>", "\"world\""]);
    let err = broken(r#"<default class="c">"#, r#"<default class="main">"#);
    expect(
        &err,
        ErrorKind::DuplicateName,
        4,
        &["<default>", "\"main\""],
    );
}

#[test]
fn references_to_missing_objects() {
    let err = broken(r#"<site site="s"/>"#, r#"<site site="nowhere"/>"#);
    expect(
        &err,
        ErrorKind::MissingReference,
        14,
        &["<site>", "\"site\"", "nowhere"],
    );
    let err = broken(r#"sidesite="side""#, r#"sidesite="beside""#);
    expect(
        &err,
        ErrorKind::MissingReference,
        14,
        &["<geom>", "\"sidesite\"", "beside"],
    );
    let err = broken(r#"tendon="t""#, r#"tendon="u""#);
    expect(
        &err,
        ErrorKind::MissingReference,
        15,
        &["<muscle>", "\"tendon\"", "\"u\""],
    );
    let err = broken(r#"<joint name="j""#, r#"<joint name="j" class="d""#);
    expect(
        &err,
        ErrorKind::MissingReference,
        8,
        &["<joint>", "\"class\"", "\"d\""],
    );
    let err = broken(r#"<body name="b">"#, r#"<body name="b" childclass="x">"#);
    expect(
        &err,
        ErrorKind::MissingReference,
        7,
        &["<body>", "\"childclass\"", "\"x\""],
    );
}

#[test]
fn structural_rules() {
    let err = broken(
        r#"<body name="b">"#,
        r#"<body name="b" quat="1 0 0 0" euler="0 0 1">"#,
    );
    expect(&err, ErrorKind::Invalid, 7, &["<body>", "quat, euler"]);
    let err = broken(
        r#"type="sphere" size="0.05""#,
        r#"type="capsule" size="0.05" fromto="0 0 0 1 0 0" pos="1 0 0""#,
    );
    expect(
        &err,
        ErrorKind::Invalid,
        9,
        &["<geom>", "\"pos\"", "fromto"],
    );
    let err = broken(r#"<site site="a"/><geom"#, "<geom");
    expect(
        &err,
        ErrorKind::Invalid,
        14,
        &["<spatial>", "start and end with a <site>"],
    );
    let err = broken("    <site name=\"a\"", "    <joint/>\n    <site name=\"a\"");
    expect(&err, ErrorKind::Invalid, 6, &["<joint>", "<worldbody>"]);
    // Without autolimits, a range needs an explicit `limited` (as in MuJoCo).
    let xml = BASE
        .replace(
            r#"angle="radian"/>"#,
            r#"angle="radian" autolimits="false"/>"#,
        )
        .replace(r#"axis="0 1 0"/>"#, r#"axis="0 1 0" range="-1 1"/>"#);
    let err = parse_str(&xml, "model.xml").unwrap_err();
    expect(
        &err,
        ErrorKind::Invalid,
        8,
        &["<joint>", "\"range\"", "limited"],
    );
}
