use super::*;

fn u() -> Units {
    Units::shipped()
}

fn m(name: &str, v: f64, unit: &str) -> Measure {
    u().measure(name, v, unit).expect("measure")
}

#[test]
fn celsius_and_kelvin_compare() {
    let units = u();
    let f = units.filter("最高温度 ≥ 300 °C").unwrap();
    assert_eq!(f.param, "max_temperature");
    assert!((f.base - 573.15).abs() < 1e-9);
    assert!(
        f.passes(&m("最高温度", 300.0, "℃")),
        "the edge itself passes ≥"
    );
    assert!(f.passes(&m("max temperature", 573.15, "K")));
    assert!(!f.passes(&m("max temperature", 573.0, "K")), "0.15 K short");
    assert!(f.passes(&m("tmax", 600.0, "F")), "600 °F = 315.6 °C");
    assert!(!f.passes(&m("tmax", 570.0, "°F")), "570 °F = 298.9 °C");
    let strict = units.filter("max_temperature > 300C").unwrap();
    assert!(
        !strict.passes(&m("最高温度", 300.0, "°C")),
        "> excludes the edge"
    );
}

#[test]
fn litres_and_cubic_metres_compare() {
    let units = u();
    let f = units.filter("容积>=0.5m³").unwrap();
    assert!(f.passes(&m("反应釜容积", 500.0, "L")), "500 L = 0.5 m³");
    assert!(!f.passes(&m("反应釜容积", 499.0, "升")));
    assert!(f.passes(&m("volume", 0.5, "m3")));
    let g = units.filter("volume <= 200 L").unwrap();
    assert!(g.passes(&m("釜容积", 200_000.0, "mL")));
    assert!(!g.passes(&m("釜容积", 0.3, "m³")));
}

#[test]
fn megapascals_and_bar_compare() {
    let units = u();
    let f = units.filter("最高压力 ≥ 10 bar").unwrap();
    assert!(f.passes(&m("设计压力", 1.0, "MPa")), "1 MPa = 10 bar");
    assert!(!f.passes(&m("设计压力", 0.99, "MPa")));
    assert!(f.passes(&m("pressure", 1000.0, "kPa")));
    let g = units.filter("max pressure < 1 MPa").unwrap();
    assert!(!g.passes(&m("设计压力", 10.0, "bar")));
    assert!(g.passes(&m("设计压力", 9.9, "bar")));
}

#[test]
fn a_value_without_unit_takes_the_parameters_display_unit() {
    let f = u().filter("line_speed>=60").unwrap();
    assert_eq!(f.unit, "m/min");
    assert!(f.passes(&m("涂布速度", 1.0, "m/s")), "1 m/s = 60 m/min");
}

#[test]
fn other_parameters_never_pass() {
    let f = u().filter("最高温度>=100°C").unwrap();
    assert!(!f.passes(&m("最低温度", 500.0, "°C")));
    let unknown = u().measure("炉膛尺寸", 3.0, "m").unwrap();
    assert_eq!(unknown.param, None);
    assert!(!f.passes(&unknown));
}

#[test]
fn bad_filters_say_what_to_fix() {
    let units = u();
    let e = units.filter("最高温度 300").unwrap_err();
    assert!(e.contains("comparison"), "{e}");
    let e = units.filter("颜色 >= 3").unwrap_err();
    assert!(e.contains("not a capability parameter"), "{e}");
    let e = units.filter("最高温度 >= 3 L").unwrap_err();
    assert!(e.contains("not a unit of temperature"), "{e}");
    let e = units.filter("最高温度 >= abc").unwrap_err();
    assert!(e.contains("give a number"), "{e}");
    let e = units.measure("最高温度", 3.0, "furlong").unwrap_err();
    assert!(e.contains("not known"), "{e}");
    assert!(units.measure("最高温度", f64::NAN, "°C").is_err());
}

#[test]
fn show_converts_back() {
    let (v, unit) = u().show("volume", 0.5).unwrap();
    assert!((v - 500.0).abs() < 1e-9 && unit == "L");
    let (v, unit) = u().show("max_temperature", 573.15).unwrap();
    assert!((v - 300.0).abs() < 1e-9 && unit == "°C");
}

#[test]
fn a_clash_in_the_data_is_refused() {
    let units = "[[units]]\nsymbol = \"L\"\ndimension = \"volume\"\nfactor = 1.0\n[[units]]\nsymbol = \"l\"\ndimension = \"length\"\nfactor = 1.0\n";
    let params = "[[parameters]]\nid = \"v\"\nzh = \"容积\"\nen = \"volume\"\ndimension = \"volume\"\nunit = \"L\"\n";
    let e = Units::load("u", units, "p", params).unwrap_err();
    assert!(e.message.contains("names both"), "{}", e.message);
}
