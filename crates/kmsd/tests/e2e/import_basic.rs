//! Imported key material, the happy path through `aws-sdk-kms`: CreateKey with
//! Origin=EXTERNAL (SPEC A1, A5), GetParametersForImport for every wrapping key spec and
//! algorithm (A6-A12), and ImportKeyMaterial round trips with the material wrapped by the
//! openssl command line (A13-A15, A21, A24, A31). Error paths are in `import_errors.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common;

use crate::common::import::{
    create_external, decrypt, describe, encrypt, import_forever, import_request_with, parameters,
    pending_import, public_key_of, spki_rsa_bits, token_of, wrap, ALGORITHMS, SPECS,
};
use crate::common::{
    assert_code, assert_error, create_key, is_hex64, now_secs, random_bytes, Server,
};
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, KeySpec, KeyState, OriginType, WrappingKeySpec,
};

const REGION: &str = "us-east-1";

#[tokio::test]
async fn an_external_key_is_created_pending_import() {
    let server = Server::shared();
    let kms = server.client(REGION);

    let md = create_external(&kms).await;

    // SPEC A1: no material, PendingImport, not enabled, and no expiry or material fields.
    assert_eq!(md.origin(), Some(&OriginType::External));
    assert_eq!(md.key_spec(), Some(&KeySpec::SymmetricDefault));
    assert_eq!(md.key_state(), Some(&KeyState::PendingImport));
    assert!(!md.enabled());
    assert!(md.expiration_model().is_none(), "{md:?}");
    assert!(md.valid_to().is_none(), "{md:?}");
    assert!(md.current_key_material_id().is_none(), "{md:?}");

    // DescribeKey says the same (SPEC 1.9: absent members are left out, never null).
    assert_eq!(describe(&kms, md.key_id()).await, md);
}

#[tokio::test]
async fn cryptographic_operations_on_a_pending_import_key_fail() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let arn = md.arn().unwrap();
    let message = pending_import(arn);

    // SPEC A5, C4 column PendingImport, footnote [5].
    assert_error(
        kms.encrypt()
            .key_id(md.key_id())
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "KMSInvalidStateException",
        &message,
    );
    assert_error(
        kms.generate_data_key()
            .key_id(md.key_id())
            .number_of_bytes(32)
            .send()
            .await,
        "KMSInvalidStateException",
        &message,
    );
    assert_error(
        kms.generate_data_key_without_plaintext()
            .key_id(arn)
            .number_of_bytes(32)
            .send()
            .await,
        "KMSInvalidStateException",
        &message,
    );
    // ReEncrypt into the pending key: the destination has no material.
    let source = create_key(&kms).await;
    let ciphertext = encrypt(&kms, source.key_id(), b"re-encrypt me").await;
    assert_error(
        kms.re_encrypt()
            .ciphertext_blob(Blob::new(ciphertext))
            .destination_key_id(md.key_id())
            .send()
            .await,
        "KMSInvalidStateException",
        &message,
    );
    // C4: EnableKey and DisableKey are [5] as well; C6: so is RotateKeyOnDemand.
    assert_error(
        kms.enable_key().key_id(md.key_id()).send().await,
        "KMSInvalidStateException",
        &message,
    );
    assert_error(
        kms.disable_key().key_id(md.key_id()).send().await,
        "KMSInvalidStateException",
        &message,
    );
    assert_error(
        kms.rotate_key_on_demand().key_id(md.key_id()).send().await,
        "KMSInvalidStateException",
        &message,
    );

    // C4 [6] / A42: the automatic-rotation operations name the origin instead.
    let origin = format!("{arn} origin is EXTERNAL which is not valid for this operation.");
    assert_error(
        kms.enable_key_rotation().key_id(md.key_id()).send().await,
        "UnsupportedOperationException",
        &origin,
    );
    assert_error(
        kms.disable_key_rotation().key_id(md.key_id()).send().await,
        "UnsupportedOperationException",
        &origin,
    );
    assert_error(
        kms.get_key_rotation_status()
            .key_id(md.key_id())
            .send()
            .await,
        "UnsupportedOperationException",
        &origin,
    );

    // The state is unchanged by all of this.
    assert_eq!(
        describe(&kms, md.key_id()).await.key_state(),
        Some(&KeyState::PendingImport)
    );
}

#[tokio::test]
async fn parameters_for_every_wrapping_spec_and_algorithm() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let arn = md.arn().unwrap();

    for (spec, bits) in SPECS {
        for algorithm in ALGORITHMS {
            let what = format!("{spec:?} {algorithm:?}");
            let before = now_secs();
            // SPEC A6: the key ID and the key ARN both name the key.
            let id = if bits == 3072 { arn } else { md.key_id() };
            let out = parameters(&kms, id, algorithm.clone(), spec.clone()).await;

            // SPEC A6: the response KeyId is the key ARN, both blobs within their bounds.
            assert_eq!(out.key_id(), Some(arn), "{what}");
            let token = token_of(&out);
            assert!((1..=6144).contains(&token.len()), "{what}: token length");
            let public_key = public_key_of(&out);
            assert!((1..=4096).contains(&public_key.len()), "{what}: key length");
            // SPEC A9: DER SubjectPublicKeyInfo of an RSA key of the requested size.
            assert_eq!(spki_rsa_bits(&public_key), bits, "{what}");
            // SPEC A10: valid for 24 hours from issue.
            let valid_to = out.parameters_valid_to().expect("ParametersValidTo").secs();
            assert!(
                (before + 86_400 - 60..=now_secs() + 86_400 + 60).contains(&valid_to),
                "{what}: ParametersValidTo {valid_to}, now {before}"
            );
        }
    }

    // Asking for parameters changes nothing about the key.
    assert_eq!(describe(&kms, md.key_id()).await, md);
}

#[tokio::test]
async fn every_call_returns_a_new_pair() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;

    // SPEC A10: the same request twice gives two different public keys and tokens.
    for (spec, _) in SPECS {
        let first = parameters(
            &kms,
            md.key_id(),
            AlgorithmSpec::RsaesOaepSha256,
            spec.clone(),
        )
        .await;
        let second = parameters(
            &kms,
            md.key_id(),
            AlgorithmSpec::RsaesOaepSha256,
            spec.clone(),
        )
        .await;
        assert_ne!(public_key_of(&first), public_key_of(&second), "{spec:?}");
        assert_ne!(token_of(&first), token_of(&second), "{spec:?}");
    }
}

#[tokio::test]
async fn pkcs1_v1_5_is_refused() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;

    // SPEC A7 (error OPEN, the issue names ValidationException): deprecated since 2023-10-10.
    let err = assert_code(
        kms.get_parameters_for_import()
            .key_id(md.key_id())
            .wrapping_algorithm(AlgorithmSpec::RsaesPkcs1V15)
            .wrapping_key_spec(WrappingKeySpec::Rsa2048)
            .send()
            .await,
        "ValidationException",
    );
    assert!(
        err.message.to_lowercase().contains("no longer supported"),
        "the message should say so: {:?}",
        err.message
    );
}

#[tokio::test]
async fn sm2_is_refused() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;

    // SPEC A7: SM2 and SM2PKE exist in China Regions only, which kmsd does not serve.
    let cases = [
        (AlgorithmSpec::Sm2Pke, WrappingKeySpec::Sm2),
        (AlgorithmSpec::RsaesOaepSha256, WrappingKeySpec::Sm2),
        (AlgorithmSpec::Sm2Pke, WrappingKeySpec::Rsa2048),
    ];
    for (algorithm, spec) in cases {
        let got = kms
            .get_parameters_for_import()
            .key_id(md.key_id())
            .wrapping_algorithm(algorithm.clone())
            .wrapping_key_spec(spec.clone())
            .send()
            .await;
        let err = assert_code(got, "ValidationException");
        assert!(
            !err.message.is_empty(),
            "{algorithm:?} {spec:?}: empty message"
        );
    }
}

#[tokio::test]
async fn parameters_for_a_key_of_origin_aws_kms() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_key(&kms).await;

    // SPEC A11, C5 [9].
    assert_error(
        kms.get_parameters_for_import()
            .key_id(md.key_id())
            .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
            .wrapping_key_spec(WrappingKeySpec::Rsa2048)
            .send()
            .await,
        "UnsupportedOperationException",
        &format!(
            "{} origin is AWS_KMS which is not valid for this operation.",
            md.arn().unwrap()
        ),
    );
}

#[tokio::test]
async fn parameters_and_import_for_a_key_pending_deletion() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let params = parameters(
        &kms,
        md.key_id(),
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
    )
    .await;
    let wrapped = wrap(
        &public_key_of(&params),
        &AlgorithmSpec::RsaesOaepSha256,
        &random_bytes(32),
    );
    kms.schedule_key_deletion()
        .key_id(md.key_id())
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();

    // SPEC A12, C4 column PD, footnote [8].
    assert_code(
        kms.get_parameters_for_import()
            .key_id(md.key_id())
            .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
            .wrapping_key_spec(WrappingKeySpec::Rsa2048)
            .send()
            .await,
        "KMSInvalidStateException",
    );
    assert_code(
        kms.import_key_material()
            .key_id(md.key_id())
            .import_token(Blob::new(token_of(&params)))
            .encrypted_key_material(Blob::new(wrapped))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await,
        "KMSInvalidStateException",
    );
    assert_eq!(
        describe(&kms, md.key_id()).await.key_state(),
        Some(&KeyState::PendingDeletion)
    );
}

#[tokio::test]
async fn import_round_trip_for_every_algorithm_and_spec() {
    let server = Server::shared();
    let kms = server.client(REGION);

    for (n, ((spec, _), algorithm)) in SPECS
        .iter()
        .flat_map(|s| ALGORITHMS.iter().map(move |a| (s.clone(), a.clone())))
        .enumerate()
    {
        let what = format!("{spec:?} {algorithm:?}");
        let md = create_external(&kms).await;
        let arn = md.arn().unwrap();
        let material = random_bytes(32);
        // Half of the imports expire, half do not; half name the key by ARN (SPEC A21).
        let expires = n % 2 == 0;
        let id = if n % 4 < 2 { md.key_id() } else { arn };
        let valid_to = now_secs() + 30 * 86_400;
        let mut request = import_request_with(&kms, id, &material, algorithm, spec).await;
        request = if expires {
            request
                .expiration_model(ExpirationModelType::KeyMaterialExpires)
                .valid_to(DateTime::from_secs(valid_to))
        } else {
            request.expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        };
        let out = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: ImportKeyMaterial {e:?}"));

        // SPEC A21: the key ARN and the 64-hex KeyMaterialId of a symmetric key (A31).
        assert_eq!(out.key_id(), Some(arn), "{what}");
        let material_id = out.key_material_id().expect("KeyMaterialId").to_string();
        assert!(
            is_hex64(&material_id),
            "{what}: KeyMaterialId {material_id:?}"
        );

        // SPEC A24: Enabled, the expiry settings, and the imported material as current (A32).
        let got = describe(&kms, md.key_id()).await;
        assert_eq!(got.key_state(), Some(&KeyState::Enabled), "{what}");
        assert!(got.enabled(), "{what}");
        assert_eq!(
            got.current_key_material_id(),
            Some(material_id.as_str()),
            "{what}"
        );
        if expires {
            assert_eq!(
                got.expiration_model(),
                Some(&ExpirationModelType::KeyMaterialExpires),
                "{what}"
            );
            assert_eq!(got.valid_to().map(|t| t.secs()), Some(valid_to), "{what}");
        } else {
            assert_eq!(
                got.expiration_model(),
                Some(&ExpirationModelType::KeyMaterialDoesNotExpire),
                "{what}"
            );
            assert!(
                got.valid_to().is_none(),
                "{what}: ValidTo {:?}",
                got.valid_to()
            );
        }

        // The key works, and says which material it used (SPEC A44).
        let plaintext = random_bytes(100);
        let ciphertext = encrypt(&kms, md.key_id(), &plaintext).await;
        let (back, used) = decrypt(&kms, &ciphertext).await;
        assert_eq!(back, plaintext, "{what}");
        assert_eq!(used.as_deref(), Some(material_id.as_str()), "{what}");
        let data_key = kms
            .generate_data_key()
            .key_id(arn)
            .number_of_bytes(32)
            .send()
            .await
            .unwrap();
        assert_eq!(
            data_key.key_material_id(),
            Some(material_id.as_str()),
            "{what}"
        );
    }
}

#[tokio::test]
async fn material_ids_are_per_key_and_per_material() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let material = random_bytes(32);
    let first = create_external(&kms).await;
    let second = create_external(&kms).await;

    // SPEC A31: the ID hashes key ID and material, so one material has one ID per key...
    let a = import_forever(&kms, first.key_id(), &material).await;
    let b = import_forever(&kms, second.key_id(), &material).await;
    let (a, b) = (a.key_material_id().unwrap(), b.key_material_id().unwrap());
    assert_ne!(a, b, "the same material in two keys must get two IDs");
    // ...and it reveals nothing about the material: neither ID is the material in hex.
    assert_ne!(a, hex::encode(&material));

    // The same material reimported into the same key keeps its ID (SPEC A30).
    let again = import_forever(&kms, first.key_id(), &material).await;
    assert_eq!(again.key_material_id(), Some(a));

    // Ciphertexts of one key do not decrypt under the other even though the material is equal.
    let ciphertext = encrypt(&kms, first.key_id(), b"per key").await;
    let err = assert_code(
        kms.decrypt()
            .key_id(second.key_id())
            .ciphertext_blob(Blob::new(ciphertext))
            .send()
            .await,
        "IncorrectKeyException",
    );
    assert!(!err.message.is_empty());
}

#[tokio::test]
async fn import_operations_take_no_alias() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let alias = format!("alias/{}", common::unique("import"));
    kms.create_alias()
        .alias_name(&alias)
        .target_key_id(md.key_id())
        .send()
        .await
        .unwrap();
    let alias_arn = format!("arn:aws:kms:{REGION}:{}:{alias}", common::ACCOUNT_A);
    let (token, wrapped) = common::import::wrap_for(
        &kms,
        md.key_id(),
        AlgorithmSpec::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
        &random_bytes(32),
    )
    .await;

    // SPEC D2, D3 (the project's answer is in docs/compatibility.md): the import operations
    // take a key ID or key ARN only (A6, A21, A40).
    let by_name = format!("Invalid keyId '{alias}'");
    let by_arn = "Key Aliases are not supported for this operation.";
    for (id, code, message) in [
        (alias.as_str(), "NotFoundException", by_name.as_str()),
        (alias_arn.as_str(), "InvalidArnException", by_arn),
    ] {
        assert_error(
            kms.get_parameters_for_import()
                .key_id(id)
                .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
                .wrapping_key_spec(WrappingKeySpec::Rsa2048)
                .send()
                .await,
            code,
            message,
        );
        assert_error(
            kms.import_key_material()
                .key_id(id)
                .import_token(Blob::new(token.clone()))
                .encrypted_key_material(Blob::new(wrapped.clone()))
                .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
                .send()
                .await,
            code,
            message,
        );
        assert_error(
            kms.delete_imported_key_material().key_id(id).send().await,
            code,
            message,
        );
    }
    assert_eq!(
        describe(&kms, md.key_id()).await.key_state(),
        Some(&KeyState::PendingImport)
    );
}
