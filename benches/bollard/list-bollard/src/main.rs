//! `GET /containers/json?all=1` and print each container's first name, with bollard: the list
//! tool of the footprint comparison (BENCHMARKS.md "Against bollard"). Connects as
//! `DOCKER_HOST` says.

use bollard::query_parameters::ListContainersOptionsBuilder;
use bollard::Docker;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let docker = Docker::connect_with_defaults()?;
        let opts = ListContainersOptionsBuilder::default().all(true).build();
        for c in docker.list_containers(Some(opts)).await? {
            let name = c
                .names
                .as_ref()
                .and_then(|n| n.first())
                .map(String::as_str)
                .unwrap_or_default();
            println!("{}", name.trim_start_matches('/'));
        }
        Ok(())
    })
}
