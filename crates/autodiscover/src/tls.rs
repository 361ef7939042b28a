//! Certificates for the HTTPS listener: PEM files given by the admin, or a lab CA that lyncdns creates on first
//! start (kept in a directory, reused later) and that issues a certificate for exactly the web services names the
//! planner lists — never more.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why no TLS configuration could be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A PEM file holds no usable certificate or key.
    #[error("{path}: {what}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// Certificate generation failed.
    #[error("generating a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the certificate and key.
    #[error("the certificate and key do not form a TLS identity: {0}")]
    Rustls(#[from] rustls::Error),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TlsError + '_ {
    move |source| TlsError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The lab CA's subject; also what rebuilds its issuer from the stored key.
fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "lyncdns lab CA");
    dn.push(
        DnType::OrganizationName,
        "lyncdns lab (do not trust outside a lab)",
    );
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// The lab CA in `dir`: loaded if `ca.pem` and `ca.key` exist, else created (the key readable by its owner
/// only). Returns the issuer and the CA certificate's path.
fn lab_ca(dir: &Path) -> Result<(Issuer<'static, KeyPair>, PathBuf), TlsError> {
    let cert_path = dir.join("ca.pem");
    let key_path = dir.join("ca.key");
    if cert_path.exists() && key_path.exists() {
        let key_pem = std::fs::read_to_string(&key_path).map_err(io(&key_path))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| TlsError::Pem {
            path: key_path.clone(),
            what: e.to_string(),
        })?;
        return Ok((Issuer::new(ca_params(), key), cert_path));
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let key = KeyPair::generate()?;
    let cert = ca_params().self_signed(&key)?;
    write_private(&key_path, &key.serialize_pem())?;
    std::fs::write(&cert_path, cert.pem()).map_err(io(&cert_path))?;
    tracing::info!(ca = %cert_path.display(), "created the lab CA; clients must trust this certificate");
    Ok((Issuer::new(ca_params(), key), cert_path))
}

fn write_private(path: &Path, text: &str) -> Result<(), TlsError> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(io(path))?;
        f.write_all(text.as_bytes()).map_err(io(path))
    }
    #[cfg(not(unix))]
    {
        std::fs::write(path, text).map_err(io(path))
    }
}

/// A TLS identity and where its CA certificate is (for the lab).
pub struct Identity {
    /// The server configuration.
    pub config: Arc<ServerConfig>,
    /// The lab CA certificate clients should trust, when the lab CA issued the certificate.
    pub ca_path: Option<PathBuf>,
    /// The names the certificate covers (lab CA only).
    pub names: Vec<String>,
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    alpn: Option<&[u8]>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = alpn.map(|p| vec![p.to_vec()]).unwrap_or_default();
    Ok(Arc::new(config))
}

/// Issues a certificate for exactly `names` from the lab CA in `dir` (written to `server.pem`), for HTTPS.
pub fn from_lab_ca(dir: &Path, names: &[String]) -> Result<Identity, TlsError> {
    issue(dir, names, "server.pem", Some(b"http/1.1"))
}

/// Issues a certificate for exactly `names` from the lab CA in `dir` (written to `sip-server.pem`), for the SIP
/// registrar's TLS listeners: the names are the registrars' (`lyncdns_sip::registrar::certificate_names`), not
/// the web services', as a Front End's default certificate and its web one are separate. No ALPN.
pub fn sip_from_lab_ca(dir: &Path, names: &[String]) -> Result<Identity, TlsError> {
    issue(dir, names, "sip-server.pem", None)
}

fn issue(
    dir: &Path,
    names: &[String],
    file: &str,
    alpn: Option<&[u8]>,
) -> Result<Identity, TlsError> {
    let (issuer, ca_path) = lab_ca(dir)?;
    let mut params = CertificateParams::new(names.to_vec())?;
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_default(),
    );
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &issuer)?;
    let server_pem = dir.join(file);
    std::fs::write(&server_pem, cert.pem()).map_err(io(&server_pem))?;
    let key_der = PrivateKeyDer::try_from(key.serialize_der()).map_err(|e| TlsError::Pem {
        path: dir.join("server key"),
        what: e.to_string(),
    })?;
    let ca_der = std::fs::read(&ca_path).map_err(io(&ca_path))?;
    let ca = CertificateDer::from_pem_slice(&ca_der).map_err(|e| TlsError::Pem {
        path: ca_path.clone(),
        what: e.to_string(),
    })?;
    let config = server_config(vec![cert.der().clone(), ca], key_der, alpn)?;
    Ok(Identity {
        config,
        ca_path: Some(ca_path),
        names: names.to_vec(),
    })
}

/// Loads a PEM certificate chain and private key.
pub fn from_pem(cert: &Path, key: &Path) -> Result<Identity, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| TlsError::Pem {
            path: cert.to_owned(),
            what: e.to_string(),
        })?
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Pem {
            path: cert.to_owned(),
            what: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::Pem {
            path: cert.to_owned(),
            what: "no CERTIFICATE block".into(),
        });
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Pem {
        path: key.to_owned(),
        what: e.to_string(),
    })?;
    Ok(Identity {
        config: server_config(chain, key_der, Some(b"http/1.1"))?,
        ca_path: None,
        names: Vec::new(),
    })
}
