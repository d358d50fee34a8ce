//! Typed responses: [`Response::json_as`] (always), and with the `models` feature the typed
//! calls of `docksock-models` ([`Client::run_typed`], [`Client::run_typed_stream`]).

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::response::Response;

impl Response {
    /// The body decoded as one JSON document of type `T` (capped like
    /// [`json`](Self::json)). With the `models` feature, `T` is typically a model of
    /// `docksock-models`.
    ///
    /// # Errors
    ///
    /// As [`bytes`](Self::bytes), and [`Error::Json`] if the body is not JSON or does not fit
    /// `T`.
    pub fn json_as<T: DeserializeOwned>(self) -> Result<T> {
        let bytes = self.bytes()?;
        serde_json::from_slice(&bytes).map_err(|e| Error::json("decoding the response body", e))
    }
}

#[cfg(feature = "models")]
pub use with_models::TypedMessages;

#[cfg(feature = "models")]
mod with_models {
    use std::marker::PhantomData;
    use std::time::Duration;

    use docksock_models::{Typed, TypedStream};
    use serde::de::DeserializeOwned;

    use crate::client::Client;
    use crate::error::{Error, Result};
    use crate::response::JsonMessages;

    impl Client {
        /// Runs a typed call of `docksock-models` and decodes its response.
        ///
        /// ```no_run
        /// use docksock::models::calls::containers;
        /// use docksock::ListContainersOptions;
        ///
        /// let docker = docksock::Client::from_env()?;
        /// for c in docker.run_typed(containers::list(&ListContainersOptions::default()))? {
        ///     println!("{} {:?}", c.id.unwrap_or_default(), c.state);
        /// }
        /// # Ok::<(), docksock::Error>(())
        /// ```
        ///
        /// For the raw JSON of the same call: `client.run(typed.into_call())?.json()`.
        ///
        /// # Errors
        ///
        /// As [`run`](Self::run), and [`Error::Json`] when the body does not fit the model.
        pub fn run_typed<T: DeserializeOwned>(&self, typed: Typed<'_, T>) -> Result<T> {
            self.run(typed.into_call())?.json_as()
        }

        /// Runs a typed streaming call (events, stats) and returns its messages as models.
        ///
        /// # Errors
        ///
        /// As [`run`](Self::run).
        pub fn run_typed_stream<T: DeserializeOwned>(
            &self,
            typed: TypedStream<'_, T>,
        ) -> Result<TypedMessages<T>> {
            let messages = self.run(typed.into_call())?.json_messages();
            Ok(TypedMessages {
                messages,
                model: PhantomData,
            })
        }
    }

    /// The messages of a streaming body (events, stats) decoded as models `T`: a
    /// [`JsonMessages`] whose values are decoded. After any error the iterator ends.
    pub struct TypedMessages<T> {
        messages: JsonMessages,
        model: PhantomData<fn() -> T>,
    }

    impl<T> std::fmt::Debug for TypedMessages<T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("TypedMessages")
                .field("messages", &self.messages)
                .field("model", &std::any::type_name::<T>())
                .finish()
        }
    }

    impl<T> TypedMessages<T> {
        /// Sets the idle timeout for the rest of the stream.
        pub fn set_idle_timeout(&mut self, timeout: impl Into<Option<Duration>>) {
            self.messages.set_idle_timeout(timeout);
        }

        /// The untyped messages (raw JSON values).
        pub fn into_json(self) -> JsonMessages {
            self.messages
        }
    }

    impl<T: DeserializeOwned> Iterator for TypedMessages<T> {
        type Item = Result<T>;

        fn next(&mut self) -> Option<Result<T>> {
            let item = self.messages.next()?;
            Some(item.and_then(|v| {
                serde_json::from_value(v).map_err(|e| Error::json("decoding a message", e))
            }))
        }
    }
}
