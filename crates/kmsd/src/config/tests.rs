//! Unit tests of the configuration: precedence, validation, refusals.
use std::sync::Mutex;

use clap::Parser;

use super::*;
use crate::cli::{Cli, Command};

/// Serializes the tests that read or set `KMSD_*` variables, which clap reads.
static ENV_LOCK: Mutex<()> = Mutex::new(());

const VARIABLES: [&str; 7] = [
    "KMSD_LISTEN",
    "KMSD_DATA_DIR",
    "KMSD_CONFIG",
    "KMSD_TLS_CERT",
    "KMSD_TLS_KEY",
    "KMSD_LOG_LEVEL",
    "KMSD_ROOT_KEY_FILE",
];

/// Parses `kmsd serve <flags>` with exactly the variables `env` set.
fn serve_args(flags: &[&str], env: &[(&str, &str)]) -> ServeArgs {
    let _guard = ENV_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    for name in VARIABLES {
        std::env::remove_var(name);
    }
    for (name, value) in env {
        std::env::set_var(name, value);
    }
    let argv = ["kmsd", "serve"].into_iter().chain(flags.iter().copied());
    let parsed = Cli::try_parse_from(argv);
    for (name, _) in env {
        std::env::remove_var(name);
    }
    match parsed.unwrap().command {
        Command::Serve(args) => args,
    }
}

fn file(text: &str) -> Option<(FileConfig, PathBuf)> {
    let path = PathBuf::from("/etc/kmsd/kmsd.toml");
    Some((parse(text, &path).unwrap(), path))
}

const ONE_KEY: &str = r#"
    [[access_keys]]
    id = "AKIAIOSFODNN7EXAMPLE"
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    account = "111122223333"
"#;

fn with_key(extra: &str) -> String {
    format!("{ONE_KEY}{extra}")
}

fn error_of(text: &str) -> String {
    let path = PathBuf::from("/etc/kmsd/kmsd.toml");
    let merged =
        parse(text, &path).and_then(|f| merge(&ServeArgs::default(), Some((f, path)), None));
    match merged {
        Err(e) => e.to_string(),
        Ok(settings) => panic!("expected an error, got {settings:?}"),
    }
}

#[test]
fn defaults_apply_without_flags_variables_or_file() {
    let s = merge(&serve_args(&[], &[]), None, None).unwrap();
    assert_eq!(s.listen, "127.0.0.1:8080");
    assert_eq!(s.data_dir, PathBuf::from("./kmsd-data"));
    assert_eq!(s.log_filter, "info");
    assert_eq!(s.tls, None);
    assert_eq!(s.root_key_file, None);
    assert!(s.access_keys.is_empty());
}

#[test]
fn the_file_beats_the_defaults() {
    let text = r#"
        listen = "0.0.0.0:9000"
        data_dir = "/var/lib/kmsd"
        log_level = "debug"
        root_key_file = "/etc/kmsd/root.key"
    "#;
    let s = merge(&serve_args(&[], &[]), file(text), None).unwrap();
    assert_eq!(s.listen, "0.0.0.0:9000");
    assert_eq!(s.data_dir, PathBuf::from("/var/lib/kmsd"));
    assert_eq!(s.log_filter, "debug");
    assert_eq!(s.root_key_file, Some(PathBuf::from("/etc/kmsd/root.key")));
}

#[test]
fn variables_beat_the_file_and_flags_beat_variables() {
    let text = r#"
        listen = "127.0.0.1:1"
        data_dir = "/from/file"
        log_level = "error"
    "#;
    let env = [
        ("KMSD_LISTEN", "127.0.0.1:2"),
        ("KMSD_DATA_DIR", "/from/env"),
        ("KMSD_LOG_LEVEL", "warn"),
    ];
    let s = merge(&serve_args(&[], &env), file(text), None).unwrap();
    assert_eq!(s.listen, "127.0.0.1:2");
    assert_eq!(s.data_dir, PathBuf::from("/from/env"));
    assert_eq!(s.log_filter, "warn");

    let flags = [
        "--listen",
        "127.0.0.1:3",
        "--data-dir",
        "/from/flag",
        "--log-level",
        "trace",
    ];
    let s = merge(&serve_args(&flags, &env), file(text), None).unwrap();
    assert_eq!(s.listen, "127.0.0.1:3");
    assert_eq!(s.data_dir, PathBuf::from("/from/flag"));
    assert_eq!(s.log_filter, "trace");
}

#[test]
fn the_config_file_itself_comes_from_the_flag_or_the_variable() {
    let from_env = serve_args(&[], &[("KMSD_CONFIG", "/a.toml")]);
    assert_eq!(from_env.config, Some(PathBuf::from("/a.toml")));
    let from_flag = serve_args(&["--config", "/b.toml"], &[("KMSD_CONFIG", "/a.toml")]);
    assert_eq!(from_flag.config, Some(PathBuf::from("/b.toml")));
}

#[test]
fn empty_values_count_as_absent() {
    let env = [
        ("KMSD_LISTEN", ""),
        ("KMSD_DATA_DIR", ""),
        ("KMSD_TLS_CERT", ""),
    ];
    let args = serve_args(&["--log-level", ""], &env);
    let s = merge(&args, file(r#"listen = "127.0.0.1:9""#), None).unwrap();
    assert_eq!(s.listen, "127.0.0.1:9");
    assert_eq!(s.data_dir, PathBuf::from("./kmsd-data"));
    assert_eq!(s.log_filter, "info");
    assert_eq!(s.tls, None);
    let args = ServeArgs {
        config: Some(PathBuf::new()),
        ..Default::default()
    };
    assert!(load(&args, None).is_ok());
}

#[test]
fn rust_log_sits_between_the_command_line_and_the_file() {
    let text = r#"log_level = "error""#;
    let rust_log = Some("kms_api=debug".to_string());
    let s = merge(&serve_args(&[], &[]), file(text), rust_log.clone()).unwrap();
    assert_eq!(s.log_filter, "kms_api=debug");
    let s = merge(
        &serve_args(&["--log-level", "warn"], &[]),
        file(text),
        rust_log,
    )
    .unwrap();
    assert_eq!(s.log_filter, "warn");
    let s = merge(&serve_args(&[], &[]), file(text), Some(" ".into())).unwrap();
    assert_eq!(s.log_filter, "error");
}

#[test]
fn a_bad_log_filter_is_refused() {
    let e = merge(&serve_args(&["--log-level", "info,=["], &[]), None, None).unwrap_err();
    assert!(e.to_string().contains("--log-level"), "{e}");
}

#[test]
fn relative_paths_in_the_file_are_relative_to_the_file() {
    let text = r#"
        data_dir = "data"
        tls_cert = "tls/cert.pem"
        tls_key = "/abs/key.pem"
    "#;
    let s = merge(&serve_args(&[], &[]), file(text), None).unwrap();
    assert_eq!(s.data_dir, PathBuf::from("/etc/kmsd/data"));
    let tls = s.tls.unwrap();
    assert_eq!(tls.cert, PathBuf::from("/etc/kmsd/tls/cert.pem"));
    assert_eq!(tls.key, PathBuf::from("/abs/key.pem"));

    // A relative path on the command line stays relative to the working directory.
    let s = merge(&serve_args(&["--data-dir", "here"], &[]), file(text), None).unwrap();
    assert_eq!(s.data_dir, PathBuf::from("here"));
}

#[test]
fn tls_halves_merge_across_sources_but_one_alone_is_refused() {
    let text = r#"tls_key = "/k.pem""#;
    let s = merge(
        &serve_args(&["--tls-cert", "/c.pem"], &[]),
        file(text),
        None,
    )
    .unwrap();
    let tls = s.tls.unwrap();
    assert_eq!(
        (tls.cert, tls.key),
        (PathBuf::from("/c.pem"), PathBuf::from("/k.pem"))
    );

    let e = merge(&serve_args(&["--tls-cert", "/c.pem"], &[]), None, None).unwrap_err();
    assert!(
        e.to_string()
            .contains("--tls-cert, KMSD_TLS_CERT or tls_cert) is set but the key"),
        "{e}"
    );
    let e = merge(&serve_args(&[], &[("KMSD_TLS_KEY", "/k")]), None, None).unwrap_err();
    assert!(
        e.to_string()
            .contains("tls_key) is set but the certificate"),
        "{e}"
    );
}

#[test]
fn access_keys_are_read_with_their_identity() {
    let text = with_key(
        r#"
        [[access_keys]]
        id = "AKIAI44QH8DHBEXAMPLE"
        secret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
        account = "444455556666"
        principal = "arn:aws:iam::444455556666:user/alice"
        "#,
    );
    let s = merge(&serve_args(&[], &[]), file(&text), None).unwrap();
    assert_eq!(s.access_keys.len(), 2);
    let (first, second) = (&s.access_keys[0], &s.access_keys[1]);
    assert_eq!(first.id, "AKIAIOSFODNN7EXAMPLE");
    assert_eq!(
        first.secret.as_str(),
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    );
    assert_eq!(first.account.as_str(), "111122223333");
    assert_eq!(first.principal_arn, None);
    assert_eq!(second.account.as_str(), "444455556666");
    assert_eq!(
        second.principal_arn.as_deref(),
        Some("arn:aws:iam::444455556666:user/alice")
    );
}

#[test]
fn an_unknown_field_is_named_with_file_and_line() {
    let e = error_of("listen = \"127.0.0.1:1\"\nlisten_addr = \"x\"\n");
    assert!(
        e.starts_with("config file /etc/kmsd/kmsd.toml, line 2"),
        "{e}"
    );
    assert!(e.contains("unknown field `listen_addr`"), "{e}");

    let e = error_of(&with_key(
        "principal_arn = \"arn:aws:iam::111122223333:root\"",
    ));
    assert!(e.contains("unknown field `principal_arn`"), "{e}");
}

#[test]
fn a_parse_error_never_shows_the_secret() {
    let e = error_of("[[access_keys]]\nid = \"A\"\nsecret = \"hunter2hunter2\nx");
    assert!(e.contains("line 3"), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    let e = error_of("[[access_keys]]\nid = \"A\"\naccount = \"111122223333\"\n");
    assert!(e.contains("missing field `secret`"), "{e}");
}

#[test]
fn identity_policies_are_parsed_and_a_bad_one_is_refused_naming_its_principal() {
    let path = PathBuf::from("/etc/kmsd/kmsd.toml");
    let good = r#"
        [[policies]]
        principal = "arn:aws:iam::111122223333:user/alice"
        document = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}'
    "#;
    let merged =
        parse(good, &path).and_then(|f| merge(&ServeArgs::default(), Some((f, path)), None));
    assert!(merged.is_ok());
    let bad = r#"
        [[policies]]
        principal = "arn:aws:iam::111122223333:user/alice"
        document = '{"Statement":[{"Effect":"Permit","Action":"kms:Encrypt","Resource":"*"}]}'
    "#;
    let e = error_of(bad);
    assert!(e.contains("/etc/kmsd/kmsd.toml"), "{e}");
    assert!(e.contains("arn:aws:iam::111122223333:user/alice"), "{e}");
    assert!(e.contains("Effect"), "{e}");
}

#[test]
fn bad_access_keys_are_refused_naming_the_field() {
    let cases = [
        (
            ONE_KEY.replace("111122223333", "11112222333"),
            "access_keys[0].account",
        ),
        (
            ONE_KEY.replace("111122223333", "11112222333x"),
            "access_keys[0].account",
        ),
        (
            ONE_KEY.replace("AKIAIOSFODNN7EXAMPLE", ""),
            "access_keys[0].id",
        ),
        (
            ONE_KEY.replace("AKIAIOSFODNN7EXAMPLE", "AKIA/X"),
            "access_keys[0].id",
        ),
        (
            ONE_KEY.replace("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
            "access_keys[0].secret",
        ),
        (format!("{ONE_KEY}{ONE_KEY}"), "access_keys[1].id"),
    ];
    for (text, field) in cases {
        let e = error_of(&text);
        assert!(e.starts_with("config file /etc/kmsd/kmsd.toml: "), "{e}");
        assert!(e.contains(field), "{e} should name {field}");
        assert!(!e.contains("EXAMPLEKEY"), "{e}");
    }
}

#[test]
fn a_principal_must_be_an_iam_arn_of_the_same_account() {
    for principal in [
        "arn:aws:iam::111122223333:user/alice",
        "arn:aws:iam::111122223333:role/app",
        "arn:aws-cn:iam::111122223333:root",
        "arn:aws:iam::111122223333:user/path/with:colon",
    ] {
        assert_eq!(
            check_principal(principal, "111122223333"),
            Ok(()),
            "{principal}"
        );
    }
    for principal in [
        "arn:aws:iam::444455556666:user/alice",
        "arn:aws:sts::111122223333:assumed-role/a/b",
        "arn:aws:iam:us-east-1:111122223333:user/alice",
        "arn:aws:iam::111122223333:",
        "arn:other:iam::111122223333:root",
        "user/alice",
    ] {
        assert!(
            check_principal(principal, "111122223333").is_err(),
            "{principal}"
        );
    }
    let e = error_of(&with_key(
        "principal = \"arn:aws:iam::444455556666:user/bob\"",
    ));
    assert!(e.contains("access_keys[0].principal"), "{e}");
}

#[test]
fn debug_output_hides_the_secret() {
    let (config, _) = file(ONE_KEY).unwrap();
    let shown = format!("{config:?}");
    assert!(!shown.contains("EXAMPLEKEY"), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
}

#[test]
fn a_missing_file_is_a_read_error() {
    let args = ServeArgs {
        config: Some("/nonexistent/kmsd.toml".into()),
        ..Default::default()
    };
    let e = load(&args, None).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cannot read config file /nonexistent/kmsd.toml"),
        "{e}"
    );
}

const PEER: &str = r#"
    [[peers]]
    name = "west"
    url = "http://10.0.0.2:8080/"
    regions = ["eu-west-1", "eu-central-1"]
    access_key_id = "PEERKEYWEST"
    secret = "a-shared-peer-secret"
"#;

fn settings_of(text: &str) -> Settings {
    let path = PathBuf::from("/etc/kmsd/kmsd.toml");
    merge(&ServeArgs::default(), file(text), None)
        .unwrap_or_else(|e| panic!("{e}; path {}", path.display()))
}

#[test]
fn regions_and_peers_are_read() {
    let text = format!("regions = [\"us-east-1\"]\nreplication_timeout_secs = 5\n{PEER}{ONE_KEY}");
    let r = settings_of(&text).replication;
    assert_eq!(r.regions, Some(vec!["us-east-1".to_string()]));
    assert_eq!(r.transient_timeout, Some(std::time::Duration::from_secs(5)));
    assert_eq!(r.peers.len(), 1);
    let peer = &r.peers[0];
    assert_eq!(peer.name, "west");
    assert_eq!(peer.url, "http://10.0.0.2:8080");
    assert_eq!(peer.regions, ["eu-west-1", "eu-central-1"]);
    assert_eq!(peer.secret.as_str(), "a-shared-peer-secret");
    assert!(!format!("{r:?}").contains("a-shared-peer-secret"));
}

#[test]
fn without_regions_or_peers_every_region_is_hosted() {
    let r = settings_of(ONE_KEY).replication;
    assert!(r.regions.is_none() && r.peers.is_empty() && r.transient_timeout.is_none());
}

#[test]
fn bad_replication_settings_are_refused_naming_the_field() {
    let cases = [
        ("regions = [\"us-east-9x\"]\n".to_string(), "regions"),
        ("regions = []\n".to_string(), "regions"),
        (
            "replication_timeout_secs = 0\n".to_string(),
            "replication_timeout_secs",
        ),
        (
            format!("regions = [\"eu-west-1\"]\n{PEER}"),
            "peers[0].regions: eu-west-1 is also in this deployment's regions",
        ),
        (format!("{PEER}{PEER}"), "peers[1].name"),
        (PEER.replace("http://", "ftp://"), "peers[0].url"),
        (PEER.replace("http://", "https://"), "peers[0].ca_file"),
        (PEER.replace("a-shared-peer-secret", ""), "peers[0].secret"),
        (
            PEER.replace("PEERKEYWEST", "PEER/KEY"),
            "peers[0].access_key_id",
        ),
        (
            format!("{PEER}public_key = \"abcd\"\n"),
            "peers[0].public_key",
        ),
    ];
    for (extra, field) in cases {
        let error = error_of(&format!("{extra}{ONE_KEY}"));
        assert!(error.contains(field), "{field}: {error}");
        assert!(!error.contains("a-shared-peer-secret"), "{error}");
    }
}
