//! [`Typed`] and [`TypedStream`]: a call of `docksock-api` with the model of its response.

use std::fmt;
use std::marker::PhantomData;

use docksock_api::Call;
use serde::de::DeserializeOwned;

/// A [`Call`] whose successful response body is one JSON document of model `T`.
///
/// Any adapter runs the call ([`into_call`](Self::into_call)) and decodes the body with
/// [`decode`](Self::decode); the blocking client does both in `Client::run_typed` (feature
/// `models` of `docksock`). For the raw JSON, run the call and read the body as JSON.
///
/// ```
/// use docksock_models::calls::containers;
///
/// let typed = containers::inspect("web");
/// assert_eq!(typed.call().operation().id, "ContainerInspect");
/// let state = typed.decode(br#"{"Id": "abc", "State": {"Status": "stopping"}}"#)?;
/// assert_eq!(state.state.and_then(|s| s.status).unwrap().as_str(), "stopping");
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct Typed<'a, T> {
    call: Call<'a>,
    model: PhantomData<fn() -> T>,
}

/// A [`Call`] whose successful response body is a stream of JSON messages of model `T`
/// (events, stats samples).
pub struct TypedStream<'a, T> {
    call: Call<'a>,
    model: PhantomData<fn() -> T>,
}

macro_rules! common {
    ($ty:ident) => {
        impl<'a, T> $ty<'a, T> {
            /// Wraps `call`, whose response is read as `T`.
            pub fn new(call: Call<'a>) -> Self {
                $ty {
                    call,
                    model: PhantomData,
                }
            }

            /// The call.
            pub fn call(&self) -> &Call<'a> {
                &self.call
            }

            /// The call alone (to run it and read the raw response).
            pub fn into_call(self) -> Call<'a> {
                self.call
            }

            /// Changes the call (a query parameter or header the call function has no option
            /// for), keeping the model.
            #[must_use]
            pub fn map_call(self, f: impl FnOnce(Call<'a>) -> Call<'a>) -> Self {
                $ty::new(f(self.call))
            }
        }

        impl<T> fmt::Debug for $ty<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("call", &self.call)
                    .field("model", &std::any::type_name::<T>())
                    .finish()
            }
        }

        impl<T> Clone for $ty<'_, T> {
            fn clone(&self) -> Self {
                $ty::new(self.call.clone())
            }
        }

        impl<'a, T> From<$ty<'a, T>> for Call<'a> {
            fn from(t: $ty<'a, T>) -> Call<'a> {
                t.call
            }
        }
    };
}

common!(Typed);
common!(TypedStream);

impl<T: DeserializeOwned> Typed<'_, T> {
    /// Decodes a successful response body.
    ///
    /// # Errors
    ///
    /// The decoding error when the body is not JSON or does not fit `T`.
    pub fn decode(&self, body: &[u8]) -> Result<T, serde_json::Error> {
        serde_json::from_slice(body)
    }
}

impl<T: DeserializeOwned> TypedStream<'_, T> {
    /// Decodes one message of the stream.
    ///
    /// # Errors
    ///
    /// The decoding error when the message is not JSON or does not fit `T`.
    pub fn decode(&self, message: &[u8]) -> Result<T, serde_json::Error> {
        serde_json::from_slice(message)
    }
}

/// The JSON bytes of a request body model. Serializing a model cannot fail: its maps have
/// string keys and its free-form parts are already JSON values.
pub(crate) fn json_body<T: serde::Serialize>(body: &T) -> Vec<u8> {
    serde_json::to_vec(body).unwrap_or_else(|e| unreachable!("a model always serializes: {e}"))
}
