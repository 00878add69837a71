//! Reimports of imported key material through `aws-sdk-kms` (SPEC A10, A25, A28, A30, C3):
//! only the key's own material goes back in, a reimport carries new expiry settings under any
//! new token, and it never enables a Disabled key.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common;

use crate::common::import::{
    create_external, decrypt, describe, encrypt, import_forever, import_request,
    import_request_with, import_until,
};
use crate::common::{assert_code, assert_error, now_secs, random_bytes, Server};
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, ImportType, KeyState, WrappingKeySpec,
};

const REGION: &str = "us-east-1";

#[tokio::test]
async fn a_reimport_must_carry_the_same_material() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let material = random_bytes(32);
    let id = import_forever(&kms, md.key_id(), &material)
        .await
        .key_material_id()
        .unwrap()
        .to_string();
    let different = random_bytes(32);

    let reimport =
        |bytes: Vec<u8>, import_type: Option<ImportType>, material_id: Option<String>| {
            let kms = kms.clone();
            let key = md.key_id().to_string();
            async move {
                import_request(&kms, &key, &bytes)
                    .await
                    .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
                    .set_import_type(import_type)
                    .set_key_material_id(material_id)
                    .send()
                    .await
            }
        };

    // SPEC A28, A30: after the first import the default is EXISTING_KEY_MATERIAL, and other
    // material is refused, whether the type is defaulted or explicit, or the right ID is named.
    let cases = [
        ("default type", None, None),
        ("EXISTING", Some(ImportType::ExistingKeyMaterial), None),
        (
            "EXISTING with the key's ID",
            Some(ImportType::ExistingKeyMaterial),
            Some(id.clone()),
        ),
    ];
    for (what, import_type, material_id) in cases {
        let err = common::kms_error(reimport(different.clone(), import_type, material_id).await);
        assert_eq!(
            (err.status, err.code.as_str()),
            (400, "IncorrectKeyMaterialException"),
            "{what}: {err:?}"
        );
    }
    // SPEC A30: the right material under an ID it does not have, and the key's own material
    // imported as NEW_KEY_MATERIAL.
    let wrong_id = reimport(
        material.clone(),
        Some(ImportType::ExistingKeyMaterial),
        Some("0".repeat(64)),
    )
    .await;
    assert_code(wrong_id, "IncorrectKeyMaterialException");
    let as_new = reimport(material.clone(), Some(ImportType::NewKeyMaterial), None).await;
    assert_code(as_new, "IncorrectKeyMaterialException");

    // The right material with its right ID is accepted and keeps the ID.
    let out = reimport(
        material,
        Some(ImportType::ExistingKeyMaterial),
        Some(id.clone()),
    )
    .await
    .expect("the same material, named by its ID");
    assert_eq!(out.key_material_id(), Some(id.as_str()));
    assert_eq!(
        describe(&kms, md.key_id()).await.current_key_material_id(),
        Some(id.as_str())
    );
}

#[tokio::test]
async fn a_reimport_changes_the_expiry_settings() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let material = random_bytes(32);
    let id = import_forever(&kms, md.key_id(), &material)
        .await
        .key_material_id()
        .unwrap()
        .to_string();
    let ciphertext = encrypt(&kms, md.key_id(), b"kept across reimports").await;

    // SPEC A10, A25: the same material under a new token, another spec and another algorithm,
    // with new expiry settings, into the Enabled key.
    let valid_to = now_secs() + 20 * 86_400;
    let out = import_request_with(
        &kms,
        md.key_id(),
        &material,
        AlgorithmSpec::RsaAesKeyWrapSha1,
        WrappingKeySpec::Rsa4096,
    )
    .await
    .expiration_model(ExpirationModelType::KeyMaterialExpires)
    .valid_to(DateTime::from_secs(valid_to))
    .send()
    .await
    .expect("reimport with an expiry");
    assert_eq!(out.key_material_id(), Some(id.as_str()));
    let got = describe(&kms, md.key_id()).await;
    assert_eq!(got.key_state(), Some(&KeyState::Enabled));
    assert_eq!(
        got.expiration_model(),
        Some(&ExpirationModelType::KeyMaterialExpires)
    );
    assert_eq!(got.valid_to().map(|t| t.secs()), Some(valid_to));
    assert_eq!(got.current_key_material_id(), Some(id.as_str()));

    // And back to material that does not expire: ValidTo goes away (SPEC A39).
    import_forever(&kms, md.key_id(), &material).await;
    let got = describe(&kms, md.key_id()).await;
    assert_eq!(
        got.expiration_model(),
        Some(&ExpirationModelType::KeyMaterialDoesNotExpire)
    );
    assert!(got.valid_to().is_none(), "ValidTo {:?}", got.valid_to());

    let (plaintext, used) = decrypt(&kms, &ciphertext).await;
    assert_eq!(plaintext, b"kept across reimports");
    assert_eq!(used.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn a_disabled_key_stays_disabled_after_a_reimport() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let material = random_bytes(32);
    import_forever(&kms, md.key_id(), &material).await;
    kms.disable_key().key_id(md.key_id()).send().await.unwrap();

    // SPEC C3, C4 (ImportKeyMaterial ?[9] on Disabled): only PendingImport becomes Enabled.
    let valid_to = now_secs() + 5 * 86_400;
    import_until(&kms, md.key_id(), &material, valid_to).await;
    let got = describe(&kms, md.key_id()).await;
    assert_eq!(got.key_state(), Some(&KeyState::Disabled));
    assert!(!got.enabled());
    assert_eq!(got.valid_to().map(|t| t.secs()), Some(valid_to));
    assert_error(
        kms.encrypt()
            .key_id(md.key_id())
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "DisabledException",
        &format!("{} is disabled.", md.arn().unwrap()),
    );

    // EnableKey works on the imported key.
    kms.enable_key().key_id(md.key_id()).send().await.unwrap();
    assert_eq!(
        describe(&kms, md.key_id()).await.key_state(),
        Some(&KeyState::Enabled)
    );
}
