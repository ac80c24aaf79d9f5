//! Numbers read from evidence files and saved verdicts are the f64 the text denotes,
//! correctly rounded, so what is written back reads again to the same number. Found by the
//! `verdict` fuzz target (fuzz/FINDINGS.md, 2026-12-06): `0.956741821641918888888` read as one
//! ulp off, and the saved verdict did not read back to itself.

#[test]
fn json_numbers_read_correctly_rounded_and_round_trip() {
    for text in [
        "0.956741821641918888888",
        "0.9567418216419188",
        "0.003088383003679804",
        "1.00000000000000011102230246251565404236316680908203125",
        "2.2250738585072011e-308",
        "123456789012345678901234567890e-20",
    ] {
        let read: f64 = serde_json::from_str(text).unwrap();
        assert_eq!(read, text.parse::<f64>().unwrap(), "{text}");
        let written = serde_json::to_string(&read).unwrap();
        let again: f64 = serde_json::from_str(&written).unwrap();
        assert_eq!(again.to_bits(), read.to_bits(), "{text} -> {written}");
    }
}
