//! Several materials in one EXTERNAL key, and taking material away, through `aws-sdk-kms`:
//! NEW_KEY_MATERIAL imports pending rotation, RotateKeyOnDemand, ListKeyRotations with
//! ALL_KEY_MATERIAL (SPEC A28-A35, A39, A43-A45), and DeleteImportedKeyMaterial (A38, A40).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use crate::common::import::{
    create_external, decrypt, describe, encrypt, import_forever, import_request, import_until,
    pending_import,
};
use crate::common::{
    assert_code, assert_error, create_key, is_hex64, now_secs, random_bytes, unique, Server,
};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    ExpirationModelType, ImportState, ImportType, IncludeKeyMaterial, KeyMaterialState, KeyState,
    RotationType, RotationsListEntry, Tag,
};
use aws_sdk_kms::Client;

const REGION: &str = "us-east-1";

/// Every material of `key`, in the server's order (SPEC A45, ALL_KEY_MATERIAL).
async fn all_materials(kms: &Client, key: &str) -> Vec<RotationsListEntry> {
    let out = kms
        .list_key_rotations()
        .key_id(key)
        .include_key_material(IncludeKeyMaterial::AllKeyMaterial)
        .send()
        .await
        .expect("ListKeyRotations ALL_KEY_MATERIAL");
    assert!(!out.truncated());
    out.rotations().to_vec()
}

/// The entry of material `id`; fails the test if it is not listed.
fn entry<'a>(entries: &'a [RotationsListEntry], id: &str) -> &'a RotationsListEntry {
    entries
        .iter()
        .find(|e| e.key_material_id() == Some(id))
        .unwrap_or_else(|| panic!("material {id} is not listed: {entries:?}"))
}

/// Imports `material` as NEW_KEY_MATERIAL, expiring at `valid_to`, and returns its ID.
async fn import_new(kms: &Client, key: &str, material: &[u8], valid_to: i64) -> String {
    import_request(kms, key, material)
        .await
        .import_type(ImportType::NewKeyMaterial)
        .expiration_model(ExpirationModelType::KeyMaterialExpires)
        .valid_to(aws_sdk_kms::primitives::DateTime::from_secs(valid_to))
        .key_material_description("second material")
        .send()
        .await
        .expect("ImportKeyMaterial NEW_KEY_MATERIAL")
        .key_material_id()
        .expect("KeyMaterialId")
        .to_string()
}

#[tokio::test]
async fn new_material_waits_for_a_rotation() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let arn = md.arn().unwrap();
    let first_valid_to = now_secs() + 40 * 86_400;
    let first = import_until(&kms, md.key_id(), &random_bytes(32), first_valid_to)
        .await
        .key_material_id()
        .unwrap()
        .to_string();
    let before = encrypt(&kms, md.key_id(), b"made by the first material").await;

    // SPEC A45: before any rotation, ALL_KEY_MATERIAL lists the first material alone, and
    // ROTATIONS_ONLY (the default) lists nothing.
    let listed = all_materials(&kms, md.key_id()).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let only = entry(&listed, &first);
    assert_eq!(only.key_id(), Some(arn));
    assert_eq!(only.key_material_state(), Some(&KeyMaterialState::Current));
    assert_eq!(only.import_state(), Some(&ImportState::Imported));
    assert_eq!(
        only.expiration_model(),
        Some(&ExpirationModelType::KeyMaterialExpires)
    );
    assert_eq!(only.valid_to().map(|t| t.secs()), Some(first_valid_to));
    assert!(only.rotation_date().is_none() && only.rotation_type().is_none());
    let rotations = kms
        .list_key_rotations()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    assert!(rotations.rotations().is_empty(), "{rotations:?}");

    // SPEC A32: a second material imported as NEW is pending; the current one stays current.
    let second_valid_to = now_secs() + 10 * 86_400;
    let second = import_new(&kms, md.key_id(), &random_bytes(32), second_valid_to).await;
    assert!(is_hex64(&second) && second != first, "second ID {second:?}");
    let got = describe(&kms, md.key_id()).await;
    assert_eq!(got.current_key_material_id(), Some(first.as_str()));
    assert_eq!(got.key_state(), Some(&KeyState::Enabled));
    // SPEC A39: pending material is not permanent, so it does not lower the key's ValidTo.
    assert_eq!(got.valid_to().map(|t| t.secs()), Some(first_valid_to));
    let listed = all_materials(&kms, md.key_id()).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    let pending = entry(&listed, &second);
    assert_eq!(
        pending.key_material_state(),
        Some(&KeyMaterialState::PendingRotation)
    );
    assert_eq!(pending.import_state(), Some(&ImportState::Imported));
    assert_eq!(pending.key_material_description(), Some("second material"));
    assert_eq!(
        pending.expiration_model(),
        Some(&ExpirationModelType::KeyMaterialExpires)
    );
    assert_eq!(pending.valid_to().map(|t| t.secs()), Some(second_valid_to));
    assert!(pending.rotation_date().is_none() && pending.rotation_type().is_none());
    // New ciphertexts still come from the current material (SPEC A44).
    let (_, used) = decrypt(&kms, &encrypt(&kms, md.key_id(), b"x").await).await;
    assert_eq!(used.as_deref(), Some(first.as_str()));

    // SPEC A43, A44: the rotation makes the pending material current.
    let out = kms
        .rotate_key_on_demand()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), Some(arn));
    let got = describe(&kms, md.key_id()).await;
    assert_eq!(got.current_key_material_id(), Some(second.as_str()));
    // SPEC A39: both are permanent now, and the earlier expiry is the key's.
    assert_eq!(got.valid_to().map(|t| t.secs()), Some(second_valid_to));
    let listed = all_materials(&kms, md.key_id()).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(
        entry(&listed, &first).key_material_state(),
        Some(&KeyMaterialState::NonCurrent)
    );
    let current = entry(&listed, &second);
    assert_eq!(
        current.key_material_state(),
        Some(&KeyMaterialState::Current)
    );
    assert_eq!(current.rotation_type(), Some(&RotationType::OnDemand));
    let rotated_at = current.rotation_date().expect("RotationDate").secs();
    assert!((now_secs() - 60..=now_secs() + 5).contains(&rotated_at));
    let rotations = kms
        .list_key_rotations()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    let ids: Vec<_> = rotations
        .rotations()
        .iter()
        .filter_map(|r| r.key_material_id())
        .collect();
    assert_eq!(
        ids,
        [second.as_str()],
        "ROTATIONS_ONLY lists the rotated-in material"
    );

    // Old ciphertexts decrypt under the material that made them, new ones use the new one.
    let (plaintext, used) = decrypt(&kms, &before).await;
    assert_eq!(plaintext, b"made by the first material");
    assert_eq!(used.as_deref(), Some(first.as_str()));
    let (_, used) = decrypt(&kms, &encrypt(&kms, md.key_id(), b"y").await).await;
    assert_eq!(used.as_deref(), Some(second.as_str()));
    let data_key = kms
        .generate_data_key()
        .key_id(md.key_id())
        .number_of_bytes(16)
        .send()
        .await
        .unwrap();
    assert_eq!(data_key.key_material_id(), Some(second.as_str()));
}

#[tokio::test]
async fn only_one_material_may_be_pending() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let arn = md.arn().unwrap().to_string();
    import_forever(&kms, md.key_id(), &random_bytes(32)).await;
    let valid_to = now_secs() + 30 * 86_400;
    let pending = import_new(&kms, md.key_id(), &random_bytes(32), valid_to).await;

    // SPEC A33: a third material while the second is pending.
    let third = random_bytes(32);
    let got = import_request(&kms, md.key_id(), &third)
        .await
        .import_type(ImportType::NewKeyMaterial)
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await;
    let err = assert_code(got, "KMSInvalidStateException");
    // The message names the refused material's ID; SPEC A33 writes the key as `<key>`, so the
    // key ARN and the key ID are both taken.
    let refused_id = err
        .message
        .strip_prefix("New key material (id: ")
        .and_then(|rest| rest.get(..64))
        .unwrap_or_else(|| panic!("unexpected message {:?}", err.message))
        .to_string();
    assert!(is_hex64(&refused_id), "{:?}", err.message);
    let expected = |key: &str| {
        format!(
            "New key material (id: {refused_id}) cannot be imported into KMS key {key}, \
             because another key material (id: {pending}) is pending rotation."
        )
    };
    assert!(
        err.message == expected(&arn) || err.message == expected(md.key_id()),
        "message {:?}, expected {:?}",
        err.message,
        expected(&arn)
    );

    // Nothing changed; after the rotation the third material goes in, under the ID named.
    assert_eq!(all_materials(&kms, md.key_id()).await.len(), 2);
    kms.rotate_key_on_demand()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    let third_id = import_new(&kms, md.key_id(), &third, valid_to).await;
    assert_eq!(
        third_id, refused_id,
        "the ID in the message is the material's ID"
    );
    assert_eq!(all_materials(&kms, md.key_id()).await.len(), 3);
}

#[tokio::test]
async fn rotate_key_on_demand_needs_pending_material() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let arn = md.arn().unwrap();
    let material = random_bytes(32);

    // SPEC A43: pending import first, then nothing pending, then disabled.
    assert_error(
        kms.rotate_key_on_demand().key_id(md.key_id()).send().await,
        "KMSInvalidStateException",
        &pending_import(arn),
    );
    import_forever(&kms, md.key_id(), &material).await;
    assert_error(
        kms.rotate_key_on_demand().key_id(md.key_id()).send().await,
        "KMSInvalidStateException",
        &format!("No available key material pending rotation for the key: {arn}."),
    );
    // A reimport of the same material is not new material (SPEC A30).
    import_forever(&kms, md.key_id(), &material).await;
    assert_code(
        kms.rotate_key_on_demand().key_id(md.key_id()).send().await,
        "KMSInvalidStateException",
    );
    import_new(
        &kms,
        md.key_id(),
        &random_bytes(32),
        now_secs() + 86_400 * 3,
    )
    .await;
    kms.disable_key().key_id(md.key_id()).send().await.unwrap();
    assert_error(
        kms.rotate_key_on_demand().key_id(md.key_id()).send().await,
        "DisabledException",
        &format!("{arn} is disabled."),
    );
}

#[tokio::test]
async fn losing_any_permanent_material_stops_the_key() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let arn = md.arn().unwrap();
    let old_material = random_bytes(32);
    let old = import_forever(&kms, md.key_id(), &old_material)
        .await
        .key_material_id()
        .unwrap()
        .to_string();
    let old_ciphertext = encrypt(&kms, md.key_id(), b"under the old material").await;
    let new_material = random_bytes(32);
    let new = import_new(&kms, md.key_id(), &new_material, now_secs() + 50 * 86_400).await;
    kms.rotate_key_on_demand()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();

    // SPEC A37, A40: deleting the NON_CURRENT material, named by its ID, takes the key to
    // PendingImport although the current material is still there.
    let out = kms
        .delete_imported_key_material()
        .key_id(md.key_id())
        .key_material_id(&old)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_material_id(), Some(old.as_str()));
    let got = describe(&kms, md.key_id()).await;
    assert_eq!(got.key_state(), Some(&KeyState::PendingImport));
    assert_eq!(got.current_key_material_id(), Some(new.as_str()));
    let listed = all_materials(&kms, md.key_id()).await;
    assert_eq!(
        entry(&listed, &old).import_state(),
        Some(&ImportState::PendingImport)
    );
    assert_eq!(
        entry(&listed, &new).import_state(),
        Some(&ImportState::Imported)
    );
    assert_error(
        kms.encrypt()
            .key_id(md.key_id())
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "KMSInvalidStateException",
        &pending_import(arn),
    );

    // SPEC A24: the key is Enabled again once every material is back. The old material is
    // named by its ID (A30), and reimporting the new one without a description keeps it (A35).
    import_request(&kms, md.key_id(), &old_material)
        .await
        .import_type(ImportType::ExistingKeyMaterial)
        .key_material_id(&old)
        .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
        .send()
        .await
        .expect("reimport of the old material");
    assert_eq!(
        describe(&kms, md.key_id()).await.key_state(),
        Some(&KeyState::Enabled)
    );
    let (plaintext, used) = decrypt(&kms, &old_ciphertext).await;
    assert_eq!(plaintext, b"under the old material");
    assert_eq!(used.as_deref(), Some(old.as_str()));
    import_forever(&kms, md.key_id(), &new_material).await;
    let listed = all_materials(&kms, md.key_id()).await;
    assert_eq!(
        entry(&listed, &new).key_material_description(),
        Some("second material")
    );
    assert_eq!(
        entry(&listed, &new).key_material_state(),
        Some(&KeyMaterialState::Current)
    );
}

#[tokio::test]
async fn delete_imported_key_material() {
    let server = Server::shared();
    let kms = server.client(REGION);
    let md = create_external(&kms).await;
    let arn = md.arn().unwrap();
    let material = random_bytes(32);
    let id = import_until(&kms, md.key_id(), &material, now_secs() + 9 * 86_400)
        .await
        .key_material_id()
        .unwrap()
        .to_string();
    let alias = format!("alias/{}", unique("imported"));
    kms.create_alias()
        .alias_name(&alias)
        .target_key_id(md.key_id())
        .send()
        .await
        .unwrap();
    let tag = Tag::builder()
        .tag_key("owner")
        .tag_value("security")
        .build()
        .unwrap();
    kms.tag_resource()
        .key_id(md.key_id())
        .tags(tag)
        .send()
        .await
        .unwrap();
    let policy = kms
        .get_key_policy()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    let ciphertext = encrypt(&kms, &alias, b"survives the deletion").await;

    // SPEC A40: the response names the key ARN and the current material.
    let out = kms
        .delete_imported_key_material()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), Some(arn));
    assert_eq!(out.key_material_id(), Some(id.as_str()));

    // SPEC A40: PendingImport, no expiry fields, CurrentKeyMaterialId still there.
    let got = describe(&kms, md.key_id()).await;
    assert_eq!(got.key_state(), Some(&KeyState::PendingImport));
    assert!(!got.enabled());
    assert!(got.expiration_model().is_none(), "{got:?}");
    assert!(got.valid_to().is_none(), "{got:?}");
    assert_eq!(got.current_key_material_id(), Some(id.as_str()));
    // SPEC A5, A36: no cryptography without material, by any name of the key.
    let message = pending_import(arn);
    assert_error(
        kms.decrypt()
            .ciphertext_blob(Blob::new(ciphertext.clone()))
            .send()
            .await,
        "KMSInvalidStateException",
        &message,
    );
    assert_error(
        kms.encrypt()
            .key_id(&alias)
            .plaintext(Blob::new("x"))
            .send()
            .await,
        "KMSInvalidStateException",
        &message,
    );
    // SPEC A37: the material's entry says it is waiting for import.
    let listed = all_materials(&kms, md.key_id()).await;
    assert_eq!(
        entry(&listed, &id).import_state(),
        Some(&ImportState::PendingImport)
    );

    // SPEC A40, C4: deleting again succeeds and changes nothing.
    kms.delete_imported_key_material()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(describe(&kms, md.key_id()).await, got);

    // SPEC A36: alias, tags and policy are kept.
    let aliases = kms.list_aliases().key_id(md.key_id()).send().await.unwrap();
    assert!(aliases
        .aliases()
        .iter()
        .any(|a| a.alias_name() == Some(alias.as_str())));
    let tags = kms
        .list_resource_tags()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags().len(), 1);
    assert_eq!(tags.tags()[0].tag_key(), "owner");
    let policy_after = kms
        .get_key_policy()
        .key_id(md.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(policy_after.policy(), policy.policy());

    // SPEC A38: the same material, reimported, decrypts the old ciphertext again.
    let again = import_forever(&kms, md.key_id(), &material).await;
    assert_eq!(again.key_material_id(), Some(id.as_str()));
    assert_eq!(
        describe(&kms, md.key_id()).await.key_state(),
        Some(&KeyState::Enabled)
    );
    let (plaintext, used) = decrypt(&kms, &ciphertext).await;
    assert_eq!(plaintext, b"survives the deletion");
    assert_eq!(used.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn delete_imported_key_material_on_other_keys_and_states() {
    let server = Server::shared();
    let kms = server.client(REGION);

    // SPEC A40 (C5 [9]): an AWS_KMS key has no imported material.
    let aws_kms = create_key(&kms).await;
    assert_code(
        kms.delete_imported_key_material()
            .key_id(aws_kms.key_id())
            .send()
            .await,
        "UnsupportedOperationException",
    );

    // A key that never had material: succeeds, stays PendingImport (SPEC A40, C4).
    let empty = create_external(&kms).await;
    kms.delete_imported_key_material()
        .key_id(empty.key_id())
        .send()
        .await
        .unwrap();
    assert_eq!(describe(&kms, empty.key_id()).await, empty);

    // A Disabled key goes to PendingImport too (SPEC C3), and comes back Enabled.
    let disabled = create_external(&kms).await;
    let material = random_bytes(32);
    let id = import_forever(&kms, disabled.key_id(), &material)
        .await
        .key_material_id()
        .unwrap()
        .to_string();
    kms.disable_key()
        .key_id(disabled.key_id())
        .send()
        .await
        .unwrap();
    // Named by KeyMaterialId this time (SPEC A40).
    let out = kms
        .delete_imported_key_material()
        .key_id(disabled.arn().unwrap())
        .key_material_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_material_id(), Some(id.as_str()));
    assert_eq!(
        describe(&kms, disabled.key_id()).await.key_state(),
        Some(&KeyState::PendingImport)
    );
    import_forever(&kms, disabled.key_id(), &material).await;
    assert_eq!(
        describe(&kms, disabled.key_id()).await.key_state(),
        Some(&KeyState::Enabled)
    );

    // A key pending deletion keeps that state (SPEC A40, C3).
    let doomed = create_external(&kms).await;
    import_forever(&kms, doomed.key_id(), &random_bytes(32)).await;
    kms.schedule_key_deletion()
        .key_id(doomed.key_id())
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    kms.delete_imported_key_material()
        .key_id(doomed.key_id())
        .send()
        .await
        .unwrap();
    let got = describe(&kms, doomed.key_id()).await;
    assert_eq!(got.key_state(), Some(&KeyState::PendingDeletion));
    assert!(
        got.expiration_model().is_none() && got.valid_to().is_none(),
        "{got:?}"
    );
}
