//! Tags: TagResource, UntagResource, ListResourceTags, and the tag rules CreateKey shares
//! (SPEC.md D21-D23).

use kms_model::shapes::*;
use kms_model::{key_state, ErrorCode, KmsError, Operation};

use crate::authz::Ctx;
use crate::resolve::{load_record, locate, Forms};
use crate::write::update_key;
use crate::{pagination, Service};

/// The most tags one key may have.
const MAX_TAGS: usize = 50;

fn tag_error(message: &str) -> KmsError {
    KmsError::new(ErrorCode::TagException, message)
}

/// `existing` with `new` applied: new keys appended, existing keys' values replaced.
/// Refuses reserved `aws:` keys, a key twice in one request, and more than 50 tags.
pub(crate) fn merged(mut existing: Vec<Tag>, new: Vec<Tag>) -> Result<Vec<Tag>, KmsError> {
    // Step 1: the request itself: no reserved prefix, no key twice.
    if new.iter().any(|t| {
        t.tag_key
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
    }) {
        return Err(tag_error("Tags beginning with aws: are reserved"));
    }
    for (i, tag) in new.iter().enumerate() {
        if new[..i].iter().any(|t| t.tag_key == tag.tag_key) {
            return Err(tag_error("Duplicate tag keys"));
        }
    }

    // Step 2: replace or append, then the quota.
    for tag in new {
        match existing.iter_mut().find(|t| t.tag_key == tag.tag_key) {
            Some(old) => old.tag_value = tag.tag_value,
            None => existing.push(tag),
        }
    }
    if existing.len() > MAX_TAGS {
        return Err(tag_error("Too many tags"));
    }
    Ok(existing)
}

/// TagResource: adds or replaces tags.
pub(crate) async fn tag_resource(
    svc: &Service,
    caller: &Ctx<'_>,
    req: TagResourceRequest,
) -> Result<(), KmsError> {
    let loc = locate(
        svc,
        caller,
        Operation::TagResource,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    update_key(svc, caller, &loc, Operation::TagResource, |record, _| {
        record.tags = merged(std::mem::take(&mut record.tags), req.tags.clone())?;
        Ok(())
    })
    .await?;
    Ok(())
}

/// UntagResource: removes tags; a tag key the key does not have is ignored.
pub(crate) async fn untag_resource(
    svc: &Service,
    caller: &Ctx<'_>,
    req: UntagResourceRequest,
) -> Result<(), KmsError> {
    let loc = locate(
        svc,
        caller,
        Operation::UntagResource,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    update_key(svc, caller, &loc, Operation::UntagResource, |record, _| {
        record.tags.retain(|t| !req.tag_keys.contains(&t.tag_key));
        Ok(())
    })
    .await?;
    Ok(())
}

/// ListResourceTags: the key's tags in pages of at most 50.
pub(crate) async fn list_resource_tags(
    svc: &Service,
    caller: &Ctx<'_>,
    req: ListResourceTagsRequest,
) -> Result<ListResourceTagsResponse, KmsError> {
    // Step 1: the key.
    let loc = locate(
        svc,
        caller,
        Operation::ListResourceTags,
        &req.key_id,
        Forms::KeyOnly,
    )
    .await?;
    let record = load_record(svc, caller, &loc).await?;
    key_state::check(Operation::ListResourceTags, &record)?;

    // Step 2: the page, by position in the key's tag list.
    if let Some(over) = req.limit.filter(|l| *l > MAX_TAGS as i64) {
        return Err(KmsError::validation(format!(
            "1 validation error detected: Value '{over}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to {MAX_TAGS}"
        )));
    }
    let limit = pagination::limit(req.limit, MAX_TAGS, MAX_TAGS);
    let (tags, next_marker) = pagination::page_of(&record.tags, req.marker.as_deref(), limit)?;
    Ok(ListResourceTagsResponse {
        tags: Some(tags),
        truncated: Some(next_marker.is_some()),
        next_marker,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(k: &str, v: &str) -> Tag {
        Tag {
            tag_key: k.into(),
            tag_value: v.into(),
        }
    }

    #[test]
    fn merge_rules() {
        let merged_tags = merged(vec![tag("a", "1")], vec![tag("a", "2"), tag("b", "")]).unwrap();
        assert_eq!(merged_tags, vec![tag("a", "2"), tag("b", "")]);
        assert_eq!(
            merged(vec![], vec![tag("AWS:x", "1")]).unwrap_err().message,
            "Tags beginning with aws: are reserved"
        );
        assert_eq!(
            merged(vec![], vec![tag("x", "1"), tag("x", "2")])
                .unwrap_err()
                .message,
            "Duplicate tag keys"
        );
        let many: Vec<Tag> = (0..51).map(|i| tag(&format!("k{i}"), "v")).collect();
        assert_eq!(merged(vec![], many).unwrap_err().message, "Too many tags");
    }
}
