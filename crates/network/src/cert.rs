//! Peer certificates (JAMNP-S, "Encryption and handshake"): each node presents an X.509
//! certificate of its Ed25519 key whose one alternative name is $N(k)$ ([`node_name`]), and
//! checks the same of its peer on both sides of the handshake.

use crate::name::node_name;
use marmalade_types::Ed25519Public;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls13_signature, CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use std::sync::Arc;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// The DER of an Ed25519 SubjectPublicKeyInfo up to the key (RFC 8410): SEQUENCE { SEQUENCE {
/// OID 1.3.101.112 }, BIT STRING (no unused bits) of 32 octets }.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The DER of a PKCS#8 v1 Ed25519 private key up to the 32-octet seed (RFC 8410 section 7).
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Why a peer's certificate is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// Not one DER X.509 certificate.
    #[error("malformed certificate")]
    Malformed,
    /// The certificate's key or signature algorithm is not Ed25519.
    #[error("certificate is not Ed25519")]
    NotEd25519,
    /// The alternative names are not exactly one DNS name $N(k)$ of the certificate's key.
    #[error("certificate's alternative name is not N(k) of its key")]
    AltName,
    /// The key is not the one the connection was made to.
    #[error("certificate's key is not the expected peer's")]
    UnexpectedKey,
}

/// A node's identity: its Ed25519 secret seed (RFC 8032), from which its certificate is made.
/// `Debug` shows only the public key.
#[derive(Clone)]
pub struct NodeKey {
    seed: [u8; 32],
    public: Ed25519Public,
}

impl NodeKey {
    /// The key of this Ed25519 secret seed (JIP-5's `ed25519_secret_seed` for a validator).
    pub fn from_ed25519_seed(seed: [u8; 32]) -> Self {
        let public = marmalade_crypto::ed25519::public_from_seed(&seed);
        NodeKey { seed, public }
    }

    /// The key of a validator's JIP-5 seed: `ed25519_secret_seed =
    /// blake2b("jam_val_key_ed25519" ++ seed)`, as `ValidatorKeys::from_seed` derives it.
    pub fn from_validator_seed(seed: &[u8; 32]) -> Self {
        let ed = marmalade_crypto::blake2b_256_concat(&[b"jam_val_key_ed25519", seed]);
        Self::from_ed25519_seed(ed)
    }

    /// The Ed25519 public key: the node's identity on the network.
    pub fn public(&self) -> Ed25519Public {
        self.public
    }

    /// The self-signed certificate of this key, with the one alternative name $N(k)$, and its
    /// private key for TLS.
    pub fn certificate(
        &self,
    ) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), rcgen::Error> {
        let mut pkcs8 = Vec::with_capacity(48);
        pkcs8.extend_from_slice(&ED25519_PKCS8_PREFIX);
        pkcs8.extend_from_slice(&self.seed);
        let pkcs8 = PrivatePkcs8KeyDer::from(pkcs8);
        let key_pair = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_ED25519)?;
        let params = rcgen::CertificateParams::new(vec![node_name(&self.public)])?;
        let cert = params.self_signed(&key_pair)?;
        Ok((cert.der().clone(), PrivateKeyDer::Pkcs8(pkcs8)))
    }
}

impl std::fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeKey({})", node_name(&self.public))
    }
}

/// The peer's Ed25519 key, if `der` is an acceptable peer certificate: one DER certificate,
/// Ed25519 key and signature algorithm, and exactly one alternative name, the DNS name $N(k)$
/// of its key. The TLS handshake signature, checked against this key, is what proves the peer
/// holds it. Not checked, as JAMNP-S asks neither:
/// - the self-signature (JAMNP-S: certificates should be self-signed, "however this is not
///   required and need not be verified");
/// - the validity period: typeberry's certificates are valid for 2 seconds from the node's
///   start (`notAfter` = `notBefore` + 2 s), so checking it refuses typeberry's nodes.
pub fn peer_key(der: &[u8]) -> Result<Ed25519Public, CertError> {
    let (rest, cert) = X509Certificate::from_der(der).map_err(|_| CertError::Malformed)?;
    if !rest.is_empty() {
        return Err(CertError::Malformed);
    }
    let spki = cert.public_key().raw;
    let key: Ed25519Public = match spki.strip_prefix(&ED25519_SPKI_PREFIX[..]) {
        Some(k) => k.try_into().map_err(|_| CertError::NotEd25519)?,
        None => return Err(CertError::NotEd25519),
    };
    let ed25519 = x509_parser::oid_registry::OID_SIG_ED25519;
    for alg in [&cert.signature_algorithm, &cert.tbs_certificate.signature] {
        if alg.algorithm != ed25519 || alg.parameters.is_some() {
            return Err(CertError::NotEd25519);
        }
    }
    let san = cert
        .subject_alternative_name()
        .map_err(|_| CertError::AltName)?
        .ok_or(CertError::AltName)?;
    match san.value.general_names.as_slice() {
        [GeneralName::DNSName(name)] if *name == node_name(&key) => Ok(key),
        _ => Err(CertError::AltName),
    }
}

fn tls_error(e: CertError) -> rustls::Error {
    use rustls::CertificateError as C;
    rustls::Error::InvalidCertificate(match e {
        CertError::Malformed => C::BadEncoding,
        CertError::NotEd25519 => C::ApplicationVerificationFailure,
        CertError::AltName | CertError::UnexpectedKey => C::NotValidForName,
    })
}

/// The handshake-signature algorithms: Ed25519 only, so the peer must sign the transcript with
/// the key its certificate names.
static ED25519_ONLY: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[webpki::ring::ED25519],
    mapping: &[(SignatureScheme::ED25519, &[webpki::ring::ED25519])],
};

/// The client's check of the server (the peer it connects to): an acceptable certificate
/// ([`peer_key`]) whose alternative name is the server name asked for, $N$ of the expected key.
#[derive(Debug)]
pub(crate) struct ServerVerifier;

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let key = peer_key(end_entity).map_err(tls_error)?;
        match server_name {
            ServerName::DnsName(name) if name.as_ref() == node_name(&key) => {
                Ok(ServerCertVerified::assertion())
            }
            _ => Err(tls_error(CertError::UnexpectedKey)),
        }
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // Only TLS 1.3 is configured; a TLS 1.2 signature is never acceptable.
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls13RequiredForQuic,
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &ED25519_ONLY)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        ED25519_ONLY.supported_schemes()
    }
}

/// The server's check of the client: a certificate is required, and must be acceptable
/// ([`peer_key`]); any key is, since who connects is not known in advance.
#[derive(Debug)]
pub(crate) struct ClientVerifier;

impl ClientCertVerifier for ClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        peer_key(end_entity).map_err(tls_error)?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::PeerIncompatible(
            rustls::PeerIncompatible::Tls13RequiredForQuic,
        ))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &ED25519_ONLY)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        ED25519_ONLY.supported_schemes()
    }
}

/// The crypto provider: ring's, TLS 1.3 suites only.
fn provider() -> Arc<CryptoProvider> {
    let mut p = rustls::crypto::ring::default_provider();
    p.cipher_suites
        .retain(|s| s.version() == &rustls::version::TLS13);
    Arc::new(p)
}

/// The TLS configurations of a node: as server (accepting both ALPN identifiers) and as client
/// (offering `client_alpn`).
pub(crate) fn tls_configs(
    key: &NodeKey,
    server_alpns: Vec<Vec<u8>>,
    client_alpn: Vec<u8>,
) -> Result<(rustls::ServerConfig, rustls::ClientConfig), TlsSetupError> {
    let (cert, secret) = key.certificate()?;
    let mut server = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(Arc::new(ClientVerifier))
        .with_single_cert(vec![cert.clone()], secret.clone_key())?;
    server.alpn_protocols = server_alpns;
    let mut client = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ServerVerifier))
        .with_client_auth_cert(vec![cert], secret)?;
    client.alpn_protocols = vec![client_alpn];
    Ok((server, client))
}

/// Why the TLS configuration could not be made (never expected with a valid key).
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The certificate could not be made.
    #[error("certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("tls: {0}")]
    Tls(#[from] rustls::Error),
    /// quinn refused the TLS configuration.
    #[error("quic: {0}")]
    Quic(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u8) -> NodeKey {
        NodeKey::from_ed25519_seed([i; 32])
    }

    fn signed(params: rcgen::CertificateParams, kp: &rcgen::KeyPair) -> Vec<u8> {
        params.self_signed(kp).unwrap().der().to_vec()
    }

    fn ed25519_pair() -> rcgen::KeyPair {
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap()
    }

    /// The raw public key of an Ed25519 key pair (the last 32 octets of its SPKI).
    fn raw_public(kp: &rcgen::KeyPair) -> Ed25519Public {
        kp.public_key_raw().try_into().unwrap()
    }

    #[test]
    fn own_certificate_names_own_key() {
        let k = key(7);
        let (cert, secret) = k.certificate().unwrap();
        assert_eq!(peer_key(&cert), Ok(k.public()));
        // The private key is the seed's: rcgen's Ed25519 key from it has the same public key.
        let pkcs8 = match secret {
            PrivateKeyDer::Pkcs8(p) => p,
            _ => panic!("PKCS#8"),
        };
        let kp =
            rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_ED25519).unwrap();
        assert_eq!(raw_public(&kp), k.public());
        assert!(!format!("{k:?}").contains(&format!("{:?}", [7u8; 32])));
    }

    #[test]
    fn alt_name_must_be_exactly_n_of_the_key() {
        let kp = ed25519_pair();
        let own = node_name(&raw_public(&kp));
        let other = node_name(&key(1).public());
        let ok = signed(
            rcgen::CertificateParams::new(vec![own.clone()]).unwrap(),
            &kp,
        );
        assert_eq!(peer_key(&ok), Ok(raw_public(&kp)));
        for names in [
            vec![other.clone()],
            vec![own.clone(), other],
            vec![],
            vec![own.to_uppercase()],
        ] {
            let der = signed(rcgen::CertificateParams::new(names.clone()).unwrap(), &kp);
            assert_eq!(peer_key(&der), Err(CertError::AltName), "{names:?}");
        }
    }

    #[test]
    fn non_ed25519_keys_are_refused() {
        let kp = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let der = signed(
            rcgen::CertificateParams::new(vec![node_name(&key(1).public())]).unwrap(),
            &kp,
        );
        assert_eq!(peer_key(&der), Err(CertError::NotEd25519));
    }

    /// Validity periods are not enforced (see [`peer_key`]): a certificate like typeberry's,
    /// valid for 2 seconds long ago, is accepted.
    #[test]
    fn validity_period_is_not_enforced() {
        let kp = ed25519_pair();
        let name = node_name(&raw_public(&kp));
        let mut short = rcgen::CertificateParams::new(vec![name]).unwrap();
        short.not_before = rcgen::date_time_ymd(2020, 1, 1);
        short.not_after = short.not_before + std::time::Duration::from_secs(2);
        assert_eq!(peer_key(&signed(short, &kp)), Ok(raw_public(&kp)));
    }

    #[test]
    fn malformed_certificates_are_refused() {
        let (cert, _) = key(3).certificate().unwrap();
        let cert = cert.to_vec();
        for cut in [0, 1, 10, cert.len() / 2, cert.len() - 1] {
            assert_eq!(
                peer_key(&cert[..cut]),
                Err(CertError::Malformed),
                "cut {cut}"
            );
        }
        let mut trailing = cert.clone();
        trailing.push(0);
        assert_eq!(peer_key(&trailing), Err(CertError::Malformed));
        // Flipping any single octet never yields an accepted certificate of another key.
        for i in 0..cert.len() {
            let mut c = cert.clone();
            c[i] ^= 0x01;
            if let Ok(k) = peer_key(&c) {
                assert_eq!(k, key(3).public(), "octet {i}");
            }
        }
    }
}
