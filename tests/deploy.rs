//! The deployment files in `deploy/` agree with the code: every manifest
//! parses; the probes hit the paths and the port the binary serves; KEDA
//! scales the worker Deployment on the queue the configuration names; the
//! configuration shipped in the ConfigMap and for compose loads with
//! [`Settings::from_toml`], with every `${VAR}` supplied by the Secret (or the
//! compose environment) and no password written in any file; the Dockerfile
//! builds in stages and runs the binary as a non-root user (checked as text
//! here; tests/contracts.rs builds and runs its runtime stage with buildah).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_norway::Value;
use sqlsynth::config::Settings;
use sqlsynth::metrics::names;
use sqlsynth::scheduler::Schedules;
use sqlsynth::worker::health::{HEALTHZ_PATH, READYZ_PATH};

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

/// Every document of a YAML file, merge keys (`<<: *anchor`) applied.
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::Deserializer::from_str(&text)
        .map(|document| {
            let mut value = Value::deserialize(document).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            value.apply_merge().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            value
        })
        .filter(|v| !v.is_null())
        .collect()
}

/// Every Kubernetes object under deploy/k8s, by "Kind/name".
fn k8s_objects() -> BTreeMap<String, Value> {
    let mut objects = BTreeMap::new();
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(deploy_dir().join("k8s")).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "deploy/k8s has manifests");
    for file in files {
        assert!(file.extension().is_some_and(|e| e == "yaml"), "unexpected file {}", file.display());
        for object in documents(&file) {
            let key = format!("{}/{}", str_at(&object, &["kind"]), str_at(&object, &["metadata", "name"]));
            assert!(str_at(&object, &["apiVersion"]).contains('v'), "{key} has an apiVersion");
            let previous = objects.insert(key.clone(), object);
            assert!(previous.is_none(), "{key} is defined twice");
        }
    }
    objects
}

fn at<'a>(value: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(value, |v, key| v.get(*key).unwrap_or_else(|| panic!("missing `{}` in {v:?}", path.join("."))))
}

fn str_at<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    at(value, path).as_str().unwrap_or_else(|| panic!("`{}` is not a string", path.join(".")))
}

fn strings(value: &Value) -> Vec<&str> {
    value.as_sequence().expect("a list").iter().map(|v| v.as_str().expect("a string")).collect()
}

/// The port of `metrics.listen` when the configuration does not set it.
fn default_metrics_port() -> u16 {
    let settings = Settings::from_toml("", "defaults", None, &[]).unwrap();
    port_of(&settings.metrics.listen)
}

fn port_of(listen: &str) -> u16 {
    listen.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).unwrap_or_else(|| panic!("no port in {listen}"))
}

/// `${VAR}` names used in `text` (comment lines aside).
fn variables(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let code: Vec<&str> = text.lines().filter(|l| !l.trim_start().starts_with('#')).collect();
    let code = code.join("\n");
    let mut rest = code.as_str();
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let end = after.find('}').expect("closed ${");
        names.push(after[..end].split([':', '-']).next().unwrap().to_string());
        rest = &after[end + 1..];
    }
    names
}

/// Loads a shipped sqlsynth.toml as the binary would, with `env` as the environment.
fn load_config(text: &str, origin: &str, env: &[String]) -> Settings {
    for var in variables(text) {
        assert!(env.contains(&var), "{origin}: ${{{var}}} is not provided to the container");
    }
    let env: Vec<(String, String)> = env.iter().map(|k| (k.clone(), "placeholder".to_string())).collect();
    Settings::from_toml(text, origin, Some(Path::new("/etc/sqlsynth")), &env)
        .unwrap_or_else(|e| panic!("{origin} does not load: {e}"))
}

/// The value of `--schedules` in a command line.
fn schedules_arg<'a>(args: &[&'a str]) -> Option<&'a str> {
    args.iter().position(|a| *a == "--schedules").map(|i| args[i + 1])
}

/// Checks one container's probes: the health paths on the port the config listens on.
fn check_probes(object: &str, container: &Value, metrics_port: u16) {
    let ports = at(container, &["ports"]).as_sequence().expect("ports");
    let resolve = |port: &Value| -> u16 {
        match port {
            Value::Number(n) => n.as_u64().unwrap() as u16,
            Value::String(name) => ports
                .iter()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
                .and_then(|p| p.get("containerPort")?.as_u64())
                .unwrap_or_else(|| panic!("{object}: no container port named {name}"))
                as u16,
            other => panic!("{object}: bad port {other:?}"),
        }
    };
    for (probe, path) in [("livenessProbe", HEALTHZ_PATH), ("readinessProbe", READYZ_PATH)] {
        let get = at(container, &[probe, "httpGet"]);
        assert_eq!(str_at(get, &["path"]), path, "{object} {probe}");
        assert_eq!(resolve(at(get, &["port"])), metrics_port, "{object} {probe} port");
    }
}

#[test]
fn kubernetes_manifests_match_the_code() {
    let objects = k8s_objects();
    let get = |key: &str| objects.get(key).unwrap_or_else(|| panic!("deploy/k8s has no {key}"));
    let defaults = Settings::from_toml("", "defaults", None, &[]).unwrap();
    let metrics_port = default_metrics_port();

    // Configuration: the ConfigMap's sqlsynth.toml loads, its ${VAR}s come from the Secret.
    let secret = get("Secret/sqlsynth-secrets");
    let secret_keys: Vec<String> = at(secret, &["stringData"])
        .as_mapping()
        .expect("stringData")
        .keys()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    for value in at(secret, &["stringData"]).as_mapping().unwrap().values() {
        let value = value.as_str().unwrap();
        assert!(value.is_empty() || value.contains("replace-me"), "the Secret manifest holds placeholders only");
    }
    let toml = str_at(get("ConfigMap/sqlsynth-config"), &["data", "sqlsynth.toml"]);
    let settings = load_config(toml, "ConfigMap sqlsynth-config", &secret_keys);
    assert_eq!(port_of(&settings.metrics.listen), metrics_port, "the ConfigMap listens on the default port");
    assert!(settings.metrics.listen.starts_with("0.0.0.0:"), "probes reach the pod from outside");
    assert_eq!(settings.queue.jobs_queue, defaults.queue.jobs_queue);

    for (deployment, command) in [("sqlsynth-worker", "worker"), ("sqlsynth-scheduler", "scheduler")] {
        let key = format!("Deployment/{deployment}");
        let object = get(&key);
        let spec = at(object, &["spec", "template", "spec"]);
        let containers = at(spec, &["containers"]).as_sequence().unwrap();
        assert_eq!(containers.len(), 1, "{key}");
        let container = &containers[0];
        let args = strings(at(container, &["args"]));
        assert_eq!(args[0], command, "{key} runs `sqlsynth {command}`");
        check_probes(&key, container, port_of(&settings.metrics.listen));
        for kind in ["requests", "limits"] {
            for resource in ["cpu", "memory"] {
                at(container, &["resources", kind, resource]);
            }
        }
        assert_eq!(at(spec, &["securityContext", "runAsNonRoot"]).as_bool(), Some(true), "{key}");
        let selector = at(object, &["spec", "selector", "matchLabels"]);
        let labels = at(object, &["spec", "template", "metadata", "labels"]);
        for (k, v) in selector.as_mapping().unwrap() {
            assert_eq!(labels.get(k), Some(v), "{key}: the selector matches the pod labels");
        }
        // The config file is where SQLSYNTH_CONFIG says, from the ConfigMap; writable paths are volumes.
        let env = at(container, &["env"]).as_sequence().unwrap();
        let config_path = env
            .iter()
            .find(|e| e.get("name").and_then(Value::as_str) == Some("SQLSYNTH_CONFIG"))
            .map(|e| str_at(e, &["value"]))
            .unwrap_or_else(|| panic!("{key} sets SQLSYNTH_CONFIG"));
        let mounts = at(container, &["volumeMounts"]).as_sequence().unwrap();
        let volumes = at(spec, &["volumes"]).as_sequence().unwrap();
        let volume_of = |dir: &Path| {
            let mount = mounts
                .iter()
                .find(|m| Path::new(str_at(m, &["mountPath"])) == dir)
                .unwrap_or_else(|| panic!("{key}: nothing is mounted at {}", dir.display()));
            let name = str_at(mount, &["name"]);
            volumes.iter().find(|v| str_at(v, &["name"]) == name).unwrap_or_else(|| panic!("{key}: no volume {name}"))
        };
        let config_dir = Path::new(config_path).parent().unwrap();
        let config_volume = volume_of(config_dir);
        assert_eq!(str_at(config_volume, &["configMap", "name"]), "sqlsynth-config", "{key}");
        if let Some(schedules) = schedules_arg(&args) {
            // The schedules file is a key of the same ConfigMap, and it parses against its configuration.
            assert_eq!(Path::new(schedules).parent(), Some(config_dir), "{key}: --schedules is in the ConfigMap");
            let file = Path::new(schedules).file_name().unwrap().to_str().unwrap();
            let text = str_at(get("ConfigMap/sqlsynth-config"), &["data", file]);
            Schedules::parse(text, file, &settings).unwrap_or_else(|e| panic!("ConfigMap {file}: {e}"));
        }
        volume_of(&settings.cache.dir);
        if at(container, &["securityContext", "readOnlyRootFilesystem"]).as_bool() == Some(true) {
            volume_of(Path::new("/tmp")); // std::env::temp_dir(): warming's scratch directory
        }
        if command == "worker" {
            let sqlsynth::sink::output::OutputLocation::Local(root) = &settings.output.root else {
                panic!("{key}: the manifests write to a local volume")
            };
            volume_of(root);
        }
        let env_from = at(container, &["envFrom"]).as_sequence().unwrap();
        assert!(env_from.iter().any(|e| str_at(e, &["secretRef", "name"]) == "sqlsynth-secrets"), "{key}");
    }

    // KEDA: scale the worker Deployment on the depth of the jobs queue.
    let scaled = get("ScaledObject/sqlsynth-worker");
    assert_eq!(str_at(scaled, &["spec", "scaleTargetRef", "name"]), "sqlsynth-worker");
    let triggers = at(scaled, &["spec", "triggers"]).as_sequence().unwrap();
    let rabbit = triggers.iter().find(|t| str_at(t, &["type"]) == "rabbitmq").expect("a rabbitmq trigger");
    assert_eq!(str_at(rabbit, &["metadata", "queueName"]), defaults.queue.jobs_queue);
    assert_eq!(str_at(rabbit, &["metadata", "mode"]), "QueueLength");
    let auth = get(&format!("TriggerAuthentication/{}", str_at(rabbit, &["authenticationRef", "name"])));
    for reference in at(auth, &["spec", "secretTargetRef"]).as_sequence().unwrap() {
        assert_eq!(str_at(reference, &["name"]), "sqlsynth-secrets");
        assert!(secret_keys.iter().any(|k| k == str_at(reference, &["key"])), "{reference:?}");
    }
    let min = at(scaled, &["spec", "minReplicaCount"]).as_u64().unwrap();
    assert!(at(scaled, &["spec", "maxReplicaCount"]).as_u64().unwrap() > min);

    // Prometheus can find every worker's /metrics.
    let service = get("Service/sqlsynth-worker-metrics");
    let port = &at(service, &["spec", "ports"]).as_sequence().unwrap()[0];
    assert_eq!(at(port, &["port"]).as_u64(), Some(u64::from(metrics_port)));
    assert_eq!(
        at(service, &["spec", "selector"]),
        at(get("Deployment/sqlsynth-worker"), &["spec", "selector", "matchLabels"])
    );
    let claim = str_at(
        at(get("Deployment/sqlsynth-worker"), &["spec", "template", "spec", "volumes"])
            .as_sequence()
            .unwrap()
            .iter()
            .find(|v| v.get("persistentVolumeClaim").is_some())
            .expect("the output volume is a claim"),
        &["persistentVolumeClaim", "claimName"],
    );
    let claim = get(&format!("PersistentVolumeClaim/{claim}"));
    assert!(strings(at(claim, &["spec", "accessModes"])).contains(&"ReadWriteMany"), "workers share the output");
}

#[test]
fn the_compose_file_starts_the_services_two_workers_and_a_scheduler() {
    let documents = documents(&deploy_dir().join("compose.yaml"));
    assert_eq!(documents.len(), 1);
    let services = at(&documents[0], &["services"]);
    for service in ["rabbitmq", "redis", "postgres", "worker", "scheduler"] {
        assert!(services.get(service).is_some(), "compose has no `{service}` service");
    }
    let worker = at(services, &["worker"]);
    assert_eq!(at(worker, &["deploy", "replicas"]).as_u64(), Some(2), "two workers");
    let config_text = std::fs::read_to_string(deploy_dir().join("sqlsynth.toml")).unwrap();
    let metrics_port = default_metrics_port();
    for (name, command) in [("worker", "worker"), ("scheduler", "scheduler")] {
        let service = at(services, &[name]);
        let args = strings(at(service, &["command"]));
        assert_eq!(args[0], command);
        assert_eq!(str_at(service, &["build", "dockerfile"]), "deploy/Dockerfile");
        let environment = at(service, &["environment"]).as_mapping().unwrap();
        let env: Vec<String> = environment.keys().map(|k| k.as_str().unwrap().to_string()).collect();
        for value in environment.values() {
            let value = value.as_str().unwrap();
            assert!(
                value.is_empty() || value.starts_with("${") || value.starts_with('/'),
                "no literal secret: {value}"
            );
        }
        let config_path = str_at(service, &["environment", "SQLSYNTH_CONFIG"]);
        let mounted = strings(at(service, &["volumes"]))
            .iter()
            .any(|v| v.split(':').take(2).collect::<Vec<_>>() == ["./sqlsynth.toml", config_path]);
        assert!(mounted, "{name} mounts deploy/sqlsynth.toml at {config_path}");
        let settings = load_config(&config_text, "deploy/sqlsynth.toml", &env);
        if let Some(schedules) = schedules_arg(&args) {
            let mounted = strings(at(service, &["volumes"]))
                .iter()
                .any(|v| v.split(':').take(2).collect::<Vec<_>>() == ["./schedules.toml", schedules]);
            assert!(mounted, "{name} mounts deploy/schedules.toml at {schedules}");
            let text = std::fs::read_to_string(deploy_dir().join("schedules.toml")).unwrap();
            Schedules::parse(&text, "deploy/schedules.toml", &settings).unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(port_of(&settings.metrics.listen), metrics_port);
        assert!(settings.metrics.listen.starts_with("0.0.0.0:"));
        let defaults = Settings::from_toml("", "defaults", None, &[]).unwrap();
        assert_eq!(settings.queue.jobs_queue, defaults.queue.jobs_queue);
        for host in ["rabbitmq", "postgres"] {
            let depends = at(service, &["depends_on"]);
            assert!(depends.get(host).is_some(), "{name} waits for {host}");
        }
    }
    // Containers reach each other by service name: every host the config names is a service.
    for host in ["rabbitmq:5672", "postgres:5432", "redis:6379"] {
        assert!(config_text.contains(host), "deploy/sqlsynth.toml uses {host}");
    }
}

#[test]
fn no_deployment_file_writes_a_password_down() {
    // URLs with a password must take it from ${VAR}; secret.yaml holds placeholders (checked above).
    let mut files = vec![deploy_dir().join("compose.yaml"), deploy_dir().join("sqlsynth.toml")];
    files.extend(std::fs::read_dir(deploy_dir().join("k8s")).unwrap().map(|e| e.unwrap().path()));
    for file in files.iter().filter(|f| !f.ends_with("secret.yaml")) {
        let text = std::fs::read_to_string(file).unwrap();
        for (index, _) in text.match_indices("://") {
            let rest = &text[index + 3..];
            let authority = rest.split(['/', '"', '\'', ' ', '\n']).next().unwrap_or("");
            if let Some((userinfo, _)) = authority.rsplit_once('@')
                && let Some((_, password)) = userinfo.split_once(':')
            {
                assert!(password.starts_with("${"), "{}: a URL carries a literal password", file.display());
            }
        }
    }
}

#[test]
fn the_dockerfile_builds_in_stages_and_runs_unprivileged() {
    let text = std::fs::read_to_string(deploy_dir().join("Dockerfile")).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    let stages: Vec<usize> = lines.iter().enumerate().filter(|(_, l)| l.starts_with("FROM ")).map(|(i, _)| i).collect();
    assert!(stages.len() >= 2, "multi-stage");
    let runtime = &lines[*stages.last().unwrap()..];
    assert!(runtime[0].contains("-slim"), "slim runtime image: {}", runtime[0]);
    let build_stage = lines[stages[0]].split_whitespace().nth(3).expect("the build stage is named (FROM x AS name)");
    assert!(
        runtime.iter().any(|l| l.starts_with(&format!("COPY --from={build_stage} "))
            && l.contains("/target/release/sqlsynth")
            && l.ends_with("/usr/local/bin/sqlsynth")),
        "the runtime stage copies the release binary"
    );
    assert!(lines.iter().any(|l| l.contains("cargo build --release --locked")));
    let user = runtime.iter().rev().find_map(|l| l.strip_prefix("USER ")).expect("a USER in the runtime stage");
    let uid = user.split(':').next().unwrap();
    assert!(uid.parse::<u32>().is_ok_and(|u| u != 0), "numeric non-root user (runAsNonRoot can verify it): {user}");
    let exposed: Vec<u16> = runtime
        .iter()
        .filter_map(|l| l.strip_prefix("EXPOSE "))
        .flat_map(|ports| ports.split_whitespace().map(|p| p.trim_end_matches("/tcp").parse().unwrap()))
        .collect();
    assert_eq!(exposed, [default_metrics_port()]);
    assert!(runtime.contains(&r#"ENTRYPOINT ["sqlsynth"]"#));
    // Everything the build and the shipped configs need is copied, and exists.
    for (source, dest) in [("src", "./src"), ("benches", "./benches"), ("jobs", "./jobs")] {
        assert!(lines.iter().any(|l| *l == format!("COPY {source} {dest}")), "COPY {source}");
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(source).is_dir());
    }
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("jobs/demo/chinook.sqlite").is_file());
    let workdir = runtime.iter().find_map(|l| l.strip_prefix("WORKDIR ")).expect("a WORKDIR");
    let shipped = std::fs::read_to_string(deploy_dir().join("sqlsynth.toml")).unwrap();
    assert!(
        shipped.contains(&format!("sqlite://{workdir}/jobs/demo/chinook.sqlite")),
        "the demo source is in the image"
    );
}

#[test]
fn the_alerting_rules_use_exported_metrics_and_pass_promtool() {
    let path = deploy_dir().join("prometheus/alerts.yaml");
    let rules = documents(&path);
    let groups = at(&rules[0], &["groups"]).as_sequence().unwrap();
    let mut used = 0;
    for group in groups {
        for rule in at(group, &["rules"]).as_sequence().unwrap() {
            let expr = str_at(rule, &["expr"]);
            // Every sqlsynth_* series an alert reads is one the code exports (histograms add _bucket/_sum/_count).
            for (start, _) in expr.match_indices("sqlsynth_") {
                let series: String =
                    expr[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                let base = ["_bucket", "_count", "_sum"].iter().fold(series.as_str(), |s, suffix| {
                    s.strip_suffix(suffix).filter(|b| names::ALL.contains(b)).unwrap_or(s)
                });
                assert!(names::ALL.contains(&base), "{}: alert uses unknown metric {series}", str_at(rule, &["alert"]));
                used += 1;
            }
        }
    }
    assert!(used > 0);
    match std::process::Command::new("promtool").arg("check").arg("rules").arg(&path).output() {
        Ok(output) => assert!(
            output.status.success(),
            "promtool check rules: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(e) => {
            common::service_missing::<()>("promtool (apt-get install prometheus)", e);
        }
    }
}
