//! Lists containers, like `docker ps -a`: with the `models` feature through the typed models,
//! without it through raw JSON. Used to compare binary sizes (crates/models/README.md).
//!
//! ```text
//! cargo run --release -p docksock --example ps
//! cargo run --release -p docksock --features models --example ps
//! ```

use docksock::{Client, ListContainersOptions};

fn main() -> Result<(), docksock::Error> {
    let docker = Client::from_env()?;
    let opts = ListContainersOptions {
        all: true,
        ..Default::default()
    };
    #[cfg(feature = "models")]
    for c in docker.run_typed(docksock::models::calls::containers::list(&opts))? {
        let id = c.id.unwrap_or_default();
        let state = c.state.map(|s| s.to_string()).unwrap_or_default();
        let image = c.image.unwrap_or_default();
        println!("{:12.12}  {:20}  {state}", id, image);
    }
    #[cfg(not(feature = "models"))]
    for c in docker
        .run(docksock::api::containers::list(&opts))?
        .json()?
        .as_array()
        .into_iter()
        .flatten()
    {
        let id = c["Id"].as_str().unwrap_or_default();
        let state = c["State"].as_str().unwrap_or_default();
        let image = c["Image"].as_str().unwrap_or_default();
        println!("{:12.12}  {:20}  {state}", id, image);
    }
    Ok(())
}
