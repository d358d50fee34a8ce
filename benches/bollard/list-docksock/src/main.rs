//! `GET /containers/json?all=1` and print each container's first name: the list tool of the
//! footprint comparison (BENCHMARKS.md "Against bollard"). Connects as `DOCKER_HOST` says.

fn main() -> Result<(), docksock::Error> {
    let docker = docksock::Client::from_env()?;
    let opts = docksock::ListContainersOptions {
        all: true,
        ..Default::default()
    };
    let list = docker.run(docksock::api::containers::list(&opts))?.json()?;
    for c in list.as_array().into_iter().flatten() {
        let name = c["Names"][0].as_str().unwrap_or_default();
        println!("{}", name.trim_start_matches('/'));
    }
    Ok(())
}
