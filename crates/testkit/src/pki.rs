//! A throw-away certificate authority and one leaf it signed, made with rcgen, for tests that
//! need TLS with chosen dates (an expired leaf, one that expires in N days) under a CA the
//! client is told to trust.

/// The PEM and DER forms a test hands to a server (leaf and key) and a client (the CA).
pub struct TestPki {
    pub ca_pem: String,
    pub leaf_pem: String,
    pub leaf_der: Vec<u8>,
    pub key_pem: String,
    /// PKCS#8.
    pub key_der: Vec<u8>,
}

/// A CA, and a leaf for `names` (DNS names or IP addresses) valid from `not_before` to
/// `not_after`, each `(year, month, day)` at midnight UTC.
pub fn ca_and_leaf(names: &[&str], not_before: (i32, u8, u8), not_after: (i32, u8, u8)) -> TestPki {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "gonogo test CA");
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut leaf_params = rcgen::CertificateParams::new(names).expect("leaf params");
    leaf_params.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
    leaf_params.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
    let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
    let leaf = leaf_params
        .signed_by(&leaf_key, &ca)
        .expect("leaf certificate");
    TestPki {
        ca_pem: ca.pem(),
        leaf_pem: leaf.pem(),
        leaf_der: leaf.der().to_vec(),
        key_pem: leaf_key.serialize_pem(),
        key_der: leaf_key.serialize_der(),
    }
}
