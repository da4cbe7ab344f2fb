//! A throwaway certificate authority and the server certificate it signs,
//! made when a server with TLS starts (rcgen: no `openssl` on the test
//! machine needed, and nothing to keep in the repository that expires).

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};

/// The names the server certificate is good for besides the address it
/// listens on: loopback, by address and by name.
const LOOPBACK_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// The PEM files of one server's TLS, in its temporary directory.
#[derive(Debug)]
pub(crate) struct TlsFiles {
    /// The certificate authority, for clients to trust.
    pub(crate) ca: PathBuf,
    /// The server's certificate, signed by the authority.
    pub(crate) cert: PathBuf,
    /// The server certificate's private key.
    pub(crate) key: PathBuf,
}

impl TlsFiles {
    /// A fresh authority and a server certificate for `ip` (and
    /// loopback), written into `dir`.
    ///
    /// # Panics
    ///
    /// If a key cannot be made or a file written: nothing a test can do
    /// about either.
    pub(crate) fn generate(dir: &Path, ip: IpAddr) -> Self {
        let fail = |what: &str, error: rcgen::Error| -> ! { panic!("phyx-testkit: cannot make {what}: {error}") };

        let mut ca_params = CertificateParams::new(Vec::new()).unwrap_or_else(|error| fail("a CA", error));
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "phyx-testkit throwaway CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap_or_else(|error| fail("a CA key", error));
        let ca = ca_params
            .self_signed(&ca_key)
            .unwrap_or_else(|error| fail("a CA", error));
        let issuer = Issuer::new(ca_params, ca_key);

        let listening = ip.to_string();
        let mut names = vec![listening.clone()];
        names.extend(
            LOOPBACK_NAMES
                .iter()
                .filter(|&&name| name != listening)
                .map(|&name| name.to_owned()),
        );
        let mut params = CertificateParams::new(names).unwrap_or_else(|error| fail("a server certificate", error));
        params.distinguished_name.push(DnType::CommonName, listening);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().unwrap_or_else(|error| fail("a server key", error));
        let cert = params
            .signed_by(&key, &issuer)
            .unwrap_or_else(|error| fail("a server certificate", error));

        let files = Self {
            ca: dir.join("ca.pem"),
            cert: dir.join("server-cert.pem"),
            key: dir.join("server-key.pem"),
        };
        for (path, pem) in [
            (&files.ca, ca.pem()),
            (&files.cert, cert.pem()),
            (&files.key, key.serialize_pem()),
        ] {
            fs::write(path, pem)
                .unwrap_or_else(|error| panic!("phyx-testkit: cannot write {}: {error}", path.display()));
        }
        files
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nats::scratch::Scratch;

    #[test]
    fn each_server_gets_its_own_authority_in_pem_files() {
        let (dir_one, dir_two) = (Scratch::new("phyx-tls-test"), Scratch::new("phyx-tls-test"));
        let loopback = IpAddr::from([127, 0, 0, 1]);
        let (one, two) = (
            TlsFiles::generate(dir_one.path(), loopback),
            TlsFiles::generate(dir_two.path(), loopback),
        );
        let read = |path: &Path| fs::read_to_string(path).unwrap();
        assert!(read(&one.ca).starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(read(&one.cert).starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(read(&one.key).starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_ne!(read(&one.ca), read(&two.ca), "a throwaway CA is never reused");
    }
}
