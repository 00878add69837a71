//! Multi-Region keys with imported material through `aws-sdk-kms` against the real binary:
//! the same material imported into every related key, each with its own token and expiry
//! (SPEC B3, B8, B12, B17, A26), the binding of ciphertexts when unrelated keys hold the same
//! material (B23-B24), and the rotation of imported material across regions (A43-A44).
//! Material is wrapped by the openssl command line (`common::import::wrap`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::import::{
    create_external, days_ahead, decrypt, describe, encrypt, import_forever, import_request,
    import_until, parameters, pending_import, public_key_of, token_of, wrap,
};
use crate::common::mrk::{
    all_materials, create_primary, material_state, replicate, wait_for, wait_state, Regions, EU,
    US, WAIT,
};
use crate::common::{assert_code, assert_error, key_arn, random_bytes, Server};
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    ExpirationModelType, ImportState, ImportType, KeyMaterialState, KeyState, OriginType,
};
use aws_sdk_kms::Client;

const INCORRECT_KEY: &str =
    "The key ID in the request does not identify a CMK that can perform this operation.";

/// An EXTERNAL primary in us-east-1 holding `material` (no expiry), with a replica in
/// eu-west-1 that waits in PendingImport; answers the key ID.
async fn external_pair(r: &Regions, material: &[u8]) -> String {
    let key = create_primary(&r.us, OriginType::External)
        .await
        .key_id()
        .to_string();
    import_forever(&r.us, &key, material).await;
    replicate(&r.us, &key, EU).await;
    wait_state(&r.eu, &key, KeyState::PendingImport).await;
    key
}

/// A data key under `key`: (its ciphertext, its plaintext, the KeyMaterialId that sealed it).
/// Encrypt's answer names no material; GenerateDataKey's does (SPEC A44).
async fn data_key(kms: &Client, key: &str) -> (Vec<u8>, Vec<u8>, String) {
    let out = kms
        .generate_data_key()
        .key_id(key)
        .number_of_bytes(32)
        .send()
        .await
        .expect("GenerateDataKey");
    (
        out.ciphertext_blob().unwrap().as_ref().to_vec(),
        out.plaintext().unwrap().as_ref().to_vec(),
        out.key_material_id().expect("KeyMaterialId").to_string(),
    )
}

#[tokio::test]
async fn every_related_key_imports_the_same_material_with_its_own_expiry() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let material = random_bytes(32);

    // SPEC B3: an EXTERNAL multi-Region primary starts PendingImport, with an mrk- ID.
    let primary = create_primary(&r.us, OriginType::External).await;
    let key = primary.key_id().to_string();
    assert!(key.starts_with("mrk-"), "{key}");
    assert_eq!(primary.key_state(), Some(&KeyState::PendingImport));
    assert_eq!(primary.multi_region(), Some(true));
    let imported = import_forever(&r.us, &key, &material).await;
    let material_id = imported.key_material_id().unwrap().to_string();

    // SPEC B8, B12: the replica is Creating, then PendingImport: it received no material.
    let out = replicate(&r.us, &key, EU).await;
    let md = out.replica_key_metadata().unwrap();
    assert_eq!(md.key_state(), Some(&KeyState::Creating));
    assert_eq!(md.origin(), Some(&OriginType::External));
    let replica = wait_state(&r.eu, &key, KeyState::PendingImport).await;
    assert!(replica.expiration_model().is_none(), "{replica:?}");
    let eu_arn = key_arn(EU, &key);
    assert_error(
        r.eu.encrypt()
            .key_id(&key)
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "KMSInvalidStateException",
        &pending_import(&eu_arn),
    );

    // SPEC A26: a token of the primary does not import into the replica.
    let primary_params = parameters(
        &r.us,
        &key,
        aws_sdk_kms::types::AlgorithmSpec::RsaesOaepSha256,
        aws_sdk_kms::types::WrappingKeySpec::Rsa2048,
    )
    .await;
    let wrapped = wrap(
        &public_key_of(&primary_params),
        &aws_sdk_kms::types::AlgorithmSpec::RsaesOaepSha256,
        &material,
    );
    assert_code(
        r.eu.import_key_material()
            .key_id(&key)
            .import_token(Blob::new(token_of(&primary_params)))
            .encrypted_key_material(Blob::new(wrapped))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await,
        "InvalidImportTokenException",
    );

    // SPEC B12: other material is refused.
    assert_code(
        import_request(&r.eu, &key, &random_bytes(32))
            .await
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await,
        "IncorrectKeyMaterialException",
    );
    assert_eq!(
        describe(&r.eu, &key).await.key_state(),
        Some(&KeyState::PendingImport)
    );

    // SPEC B12, B17: the same material, through the replica's own parameters, with its own
    // expiry; it is the same material, so the same KeyMaterialId.
    let valid_to = days_ahead(30);
    let out = import_until(&r.eu, &key, &material, valid_to).await;
    assert_eq!(out.key_material_id(), Some(material_id.as_str()));
    assert_eq!(out.key_id(), Some(eu_arn.as_str()));
    let eu = describe(&r.eu, &key).await;
    assert_eq!(eu.key_state(), Some(&KeyState::Enabled));
    assert_eq!(
        eu.expiration_model(),
        Some(&ExpirationModelType::KeyMaterialExpires)
    );
    assert_eq!(eu.valid_to().map(DateTime::secs), Some(valid_to));
    let us = describe(&r.us, &key).await;
    assert_eq!(
        us.expiration_model(),
        Some(&ExpirationModelType::KeyMaterialDoesNotExpire)
    );
    assert!(us.valid_to().is_none(), "{us:?}");

    // SPEC B22: ciphertexts cross both ways.
    let from_us = encrypt(&r.us, &key, b"imported in Virginia").await;
    let from_eu = encrypt(&r.eu, &key, b"imported in Dublin").await;
    assert_eq!(decrypt(&r.eu, &from_us).await.0, b"imported in Virginia");
    assert_eq!(decrypt(&r.us, &from_eu).await.0, b"imported in Dublin");

    // SPEC B17: a new expiry on the primary leaves the replica's alone.
    let primary_valid_to = days_ahead(10);
    import_until(&r.us, &key, &material, primary_valid_to).await;
    assert_eq!(
        describe(&r.us, &key).await.valid_to().map(DateTime::secs),
        Some(primary_valid_to)
    );
    assert_eq!(
        describe(&r.eu, &key).await.valid_to().map(DateTime::secs),
        Some(valid_to)
    );

    // SPEC B17: deleting the replica's material leaves the primary working, and the same
    // bytes bring the replica back.
    r.eu.delete_imported_key_material()
        .key_id(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        describe(&r.eu, &key).await.key_state(),
        Some(&KeyState::PendingImport)
    );
    assert_eq!(
        describe(&r.us, &key).await.key_state(),
        Some(&KeyState::Enabled)
    );
    assert_eq!(decrypt(&r.us, &from_eu).await.0, b"imported in Dublin");
    import_forever(&r.eu, &key, &material).await;
    assert_eq!(decrypt(&r.eu, &from_us).await.0, b"imported in Virginia");
}

#[tokio::test]
async fn a_replica_refuses_new_key_material() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let material = random_bytes(32);
    let key = external_pair(&r, &material).await;
    import_forever(&r.eu, &key, &material).await;

    // SPEC A43 (OPEN, decided UnsupportedOperationException naming the primary).
    let err = assert_code(
        import_request(&r.eu, &key, &random_bytes(32))
            .await
            .import_type(ImportType::NewKeyMaterial)
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await,
        "UnsupportedOperationException",
    );
    assert!(err.message.contains(&key_arn(US, &key)), "{err:?}");
    let materials = all_materials(&r.eu, &key).await;
    assert_eq!(materials.len(), 1, "{materials:?}");
}

#[tokio::test]
async fn identical_material_in_unrelated_keys_does_not_open_the_ciphertext() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let material = random_bytes(32);
    let key = external_pair(&r, &material).await;
    import_forever(&r.eu, &key, &material).await;
    let ciphertext = encrypt(&r.us, &key, b"bound to its key ID").await;

    // SPEC B23: a single-Region key and an unrelated multi-Region key in eu-west-1, both
    // holding the very same bytes.
    let single = create_external(&r.eu).await;
    import_forever(&r.eu, single.key_id(), &material).await;
    let unrelated = create_primary(&r.eu, OriginType::External).await;
    import_forever(&r.eu, unrelated.key_id(), &material).await;
    for other in [single.key_id(), unrelated.key_id()] {
        assert_error(
            r.eu.decrypt()
                .ciphertext_blob(Blob::new(ciphertext.clone()))
                .key_id(other)
                .send()
                .await,
            "IncorrectKeyException",
            INCORRECT_KEY,
        );
    }
    // The related key opens it, with or without its KeyId.
    assert_eq!(decrypt(&r.eu, &ciphertext).await.0, b"bound to its key ID");

    // SPEC B23, D9a: in a region where only a single-Region copy of the material lives.
    let lonely = create_external(&r.sa).await;
    import_forever(&r.sa, lonely.key_id(), &material).await;
    assert_error(
        r.sa.decrypt()
            .ciphertext_blob(Blob::new(ciphertext.clone()))
            .send()
            .await,
        "AccessDeniedException",
        "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.",
    );
    assert_error(
        r.sa.decrypt()
            .ciphertext_blob(Blob::new(ciphertext))
            .key_id(lonely.key_id())
            .send()
            .await,
        "IncorrectKeyException",
        INCORRECT_KEY,
    );
}

#[tokio::test]
async fn new_imported_material_rotates_every_related_key_once_each_has_it() {
    let server = Server::shared();
    let r = Regions::new(&server);
    let first = random_bytes(32);
    let key = external_pair(&r, &first).await;
    import_forever(&r.eu, &key, &first).await;
    let (old, old_plaintext, first_id) = data_key(&r.us, &key).await;
    let primary_arn = key_arn(US, &key);

    // SPEC A43: new material goes into the primary, and waits for every replica.
    let second = random_bytes(32);
    let out = import_request(&r.us, &key, &second)
        .await
        .import_type(ImportType::NewKeyMaterial)
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap();
    let second_id = out.key_material_id().unwrap().to_string();
    assert_ne!(second_id, first_id);
    let listed = all_materials(&r.us, &key).await;
    assert_eq!(
        material_state(&listed, &second_id),
        Some(&KeyMaterialState::PendingMultiRegionImportAndRotation),
        "{listed:?}"
    );
    assert_eq!(
        describe(&r.us, &key).await.current_key_material_id(),
        Some(first_id.as_str())
    );

    // Until the replica has it, the primary does not rotate (SPEC A43, inferred
    // KMSInvalidStateException); the replica never rotates itself.
    assert_code(
        r.us.rotate_key_on_demand().key_id(&key).send().await,
        "KMSInvalidStateException",
    );
    let err = assert_code(
        r.eu.rotate_key_on_demand().key_id(&key).send().await,
        "UnsupportedOperationException",
    );
    assert!(err.message.contains(&primary_arn), "{err:?}");

    // The replica learns of the material (without its bytes), then imports it as existing.
    let start = std::time::Instant::now();
    loop {
        let listed = all_materials(&r.eu, &key).await;
        if let Some(entry) = listed
            .iter()
            .find(|e| e.key_material_id() == Some(second_id.as_str()))
        {
            assert_eq!(
                entry.import_state(),
                Some(&ImportState::PendingImport),
                "{entry:?}"
            );
            break;
        }
        assert!(start.elapsed() < WAIT, "eu-west-1 never listed {second_id}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let out = import_request(&r.eu, &key, &second)
        .await
        .import_type(ImportType::ExistingKeyMaterial)
        .key_material_id(&second_id)
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_material_id(), Some(second_id.as_str()));

    // SPEC A43: then the primary's material is PENDING_ROTATION, and RotateKeyOnDemand on the
    // primary rotates every related key.
    let start = std::time::Instant::now();
    loop {
        let listed = all_materials(&r.us, &key).await;
        if material_state(&listed, &second_id) == Some(&KeyMaterialState::PendingRotation) {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "the primary never saw the replica's import: {listed:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let out =
        r.us.rotate_key_on_demand()
            .key_id(&key)
            .send()
            .await
            .unwrap();
    assert_eq!(out.key_id(), Some(primary_arn.as_str()));
    for kms in [&r.us, &r.eu] {
        wait_for(kms, &key, "on the second material", |md| {
            md.current_key_material_id() == Some(second_id.as_str())
        })
        .await;
    }

    // SPEC A44: new ciphertexts use the new material everywhere; old ones still decrypt.
    let (new, new_plaintext, used) = data_key(&r.us, &key).await;
    assert_eq!(used, second_id);
    let (_, _, used) = data_key(&r.eu, &key).await;
    assert_eq!(used, second_id);
    let (plaintext, id) = decrypt(&r.eu, &new).await;
    assert_eq!((plaintext, id), (new_plaintext, Some(second_id.clone())));
    for kms in [&r.us, &r.eu] {
        let (plaintext, id) = decrypt(kms, &old).await;
        assert_eq!((&plaintext, id), (&old_plaintext, Some(first_id.clone())));
        let listed = all_materials(kms, &key).await;
        assert_eq!(
            material_state(&listed, &first_id),
            Some(&KeyMaterialState::NonCurrent),
            "{listed:?}"
        );
        assert_eq!(
            material_state(&listed, &second_id),
            Some(&KeyMaterialState::Current),
            "{listed:?}"
        );
    }
}
