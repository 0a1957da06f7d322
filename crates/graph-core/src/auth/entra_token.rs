//! Entra's token response as the `oauth2` crate reads it: the standard members plus the two
//! that say who signed in (`id_token`, `client_info`), for the credentials that keep accounts.

use std::fmt;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{ExtraTokenFields, StandardRevocableToken, StandardTokenResponse};
use serde::{Deserialize, Serialize};

/// `id_token` and `client_info` of a token response (present when `openid` was asked for, or
/// `client_info=1` sent).
#[derive(Clone, Default, Deserialize, Serialize)]
pub(crate) struct EntraTokenFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) id_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) client_info: Option<String>,
}

impl fmt::Debug for EntraTokenFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraTokenFields")
            .field("has_id_token", &self.id_token.is_some())
            .field("has_client_info", &self.client_info.is_some())
            .finish()
    }
}

impl ExtraTokenFields for EntraTokenFields {}

/// A token response with Entra's extra members.
pub(crate) type EntraTokenResponse = StandardTokenResponse<EntraTokenFields, BasicTokenType>;

/// An `oauth2` client whose token responses keep Entra's extra members; the type parameters
/// say which endpoints are set, as in `oauth2::basic::BasicClient`.
pub(crate) type EntraClient<
    HasAuthUrl = oauth2::EndpointNotSet,
    HasDeviceAuthUrl = oauth2::EndpointNotSet,
    HasIntrospectionUrl = oauth2::EndpointNotSet,
    HasRevocationUrl = oauth2::EndpointNotSet,
    HasTokenUrl = oauth2::EndpointNotSet,
> = oauth2::Client<
    BasicErrorResponse,
    EntraTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    HasAuthUrl,
    HasDeviceAuthUrl,
    HasIntrospectionUrl,
    HasRevocationUrl,
    HasTokenUrl,
>;
