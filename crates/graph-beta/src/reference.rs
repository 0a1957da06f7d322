//! Building `@odata.id` references from ids.

use graph_models::ReferenceCreate;

use crate::{Client, Error};

/// Builds [`ReferenceCreate`] bodies from object ids, for the client's own
/// cloud and service root.
///
/// Graph rejects a bare id in `@odata.id` (400, "Invalid URL format specified
/// in payload"); it wants the object's full URL. These helpers make that URL
/// from the configured service root, with the id validated and
/// percent-encoded like any path parameter.
pub trait ReferenceCreateExt: Sized {
    /// A reference to `{service root}/directoryObjects/{id}`: a user, group,
    /// service principal or agent identity.
    fn directory_object(client: &Client, id: &str) -> Result<Self, Error>;

    /// A reference to `{service root}/{entity_set}/{id}`.
    fn entity(client: &Client, entity_set: &'static str, id: &str) -> Result<Self, Error>;
}

impl ReferenceCreateExt for ReferenceCreate {
    fn directory_object(client: &Client, id: &str) -> Result<Self, Error> {
        Self::entity(client, "directoryObjects", id)
    }

    fn entity(client: &Client, entity_set: &'static str, id: &str) -> Result<Self, Error> {
        Ok(ReferenceCreate {
            odata_id: Some(client.core().entity_url(entity_set, id)?),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StaticToken;

    #[test]
    fn references_use_the_configured_root_and_encode_ids() {
        let client = Client::new(StaticToken::new("t"));
        let r = ReferenceCreate::directory_object(&client, "1511d5e7-c324-4362-ad4b-16c20076e5aa")
            .unwrap();
        assert_eq!(
            r.odata_id.as_deref(),
            Some(
                "https://graph.microsoft.com/beta/directoryObjects/1511d5e7-c324-4362-ad4b-16c20076e5aa"
            )
        );
        let odd = ReferenceCreate::directory_object(&client, "a/b c").unwrap();
        assert!(
            odd.odata_id
                .unwrap()
                .ends_with("/directoryObjects/a%2Fb%20c")
        );
        assert!(ReferenceCreate::directory_object(&client, "..").is_err());
        assert!(ReferenceCreate::directory_object(&client, "").is_err());
    }
}
