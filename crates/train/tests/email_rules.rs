//! The spec's email rules reach the model: `free_webmail_domains` (a region's providers) class
//! those domains as free webmail in training and in the model; `email_domain_lists = 1` trains
//! with the first lists (a model that reads as the ones written before versions); a spec with a
//! list version this build does not know, or a webmail entry that is not a domain, is refused
//! naming the key.

use leadscore_core::fitted::FittedTransform;
use leadscore_core::value::{email_class, EmailClass, EmailRules, DOMAIN_LISTS};
use leadscore_train::pipeline::{train, TrainConfig};
use std::path::Path;

/// 600 leads: free webmail (a regional provider among them) converts less than business;
/// half the addresses are written with a name (`Lead 2 <lead2@provedor.com.br>`).
fn write_leads(dir: &Path) -> std::path::PathBuf {
    let mut csv = String::from("lead_id,email,visits,converted\n");
    let domains = [
        "acme.io",
        "globex.com",
        "provedor.com.br",
        "gmail.com",
        "yahoo.fr",
    ];
    for i in 0..600 {
        let d = domains[i % domains.len()];
        let business = i % domains.len() < 2;
        let converted = if business { i % 3 != 0 } else { i % 4 == 0 };
        // Every other address written with a name, as many CRM exports do.
        let email = if i % 2 == 0 {
            format!("\"Lead {i} <lead{i}@{d}>\"")
        } else {
            format!("lead{i}@{d}")
        };
        csv.push_str(&format!(
            "L{i},{email},{},{}\n",
            i % 7,
            if converted { "yes" } else { "no" }
        ));
    }
    let path = dir.join("leads.csv");
    std::fs::write(&path, csv).unwrap();
    path
}

fn spec(extra: &str) -> String {
    format!(
        "format_version = 1\nlabel = \"converted\"\nid = \"lead_id\"\n{extra}\n\
         [[columns]]\nname = \"email\"\ntransform = \"email\"\n\n\
         [[columns]]\nname = \"visits\"\ntransform = \"numeric\"\n"
    )
}

fn rules_of(dir: &Path, extra: &str) -> Result<EmailRules, String> {
    let data = write_leads(dir);
    let spec_path = dir.join("spec.toml");
    std::fs::write(&spec_path, spec(extra)).unwrap();
    let mut c = TrainConfig::new(&data);
    c.spec = Some(spec_path);
    let outcome = train(&c).map_err(|e| e.to_string())?;
    let out = dir.join("model.json");
    outcome.artifact.write_atomic(&out).unwrap();
    let back = leadscore_core::artifact::ModelArtifact::load(&out).unwrap();
    assert_eq!(back, outcome.artifact);
    back.spec
        .columns
        .iter()
        .find_map(|c| match &c.transform {
            FittedTransform::Email(r) => Some(r.clone()),
            _ => None,
        })
        .ok_or_else(|| "no email column".into())
}

#[test]
fn the_spec_free_webmail_domains_and_the_newest_lists_reach_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_of(dir.path(), "free_webmail_domains = [\"Provedor.com.br\"]").unwrap();
    assert_eq!(rules.domain_lists, DOMAIN_LISTS);
    assert_eq!(rules.free_webmail_domains, ["Provedor.com.br"]);
    for email in [
        "Lead 2 <lead2@provedor.com.br>",
        "lead4@yahoo.fr",
        "lead3@gmail.com",
    ] {
        assert_eq!(
            email_class(email, &rules),
            EmailClass::FreeWebmail,
            "{email}"
        );
    }
    assert_eq!(
        email_class("Lead <l@acme.io>", &rules),
        EmailClass::Business
    );
}

#[test]
fn email_domain_lists_1_trains_with_the_first_lists() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules_of(dir.path(), "email_domain_lists = 1").unwrap();
    assert_eq!(rules, EmailRules::first(vec![]));
    // The first lists: no regional providers, no brackets unwrapped.
    assert_eq!(email_class("l@yahoo.fr", &rules), EmailClass::Business);
    assert_eq!(
        email_class("Lead <l@gmail.com>", &rules),
        EmailClass::Business
    );
    let text = std::fs::read_to_string(dir.path().join("model.json")).unwrap();
    assert!(!text.contains("domain_lists"), "written as before versions");
}

#[test]
fn a_list_version_or_webmail_domain_this_build_cannot_use_is_refused() {
    for (extra, says) in [
        (
            format!("email_domain_lists = {}", DOMAIN_LISTS + 1),
            "`email_domain_lists`: email domain_lists",
        ),
        (
            "email_domain_lists = 0".to_string(),
            "not known to this build",
        ),
        (
            "free_webmail_domains = [\"gmail\"]".to_string(),
            "`free_webmail_domains`: \"gmail\" is not a domain",
        ),
        (
            "free_webmail_domains = [\"a@b.com\"]".to_string(),
            "is not a domain",
        ),
        (
            "free_webmail_domains = [\"*.provedor.com.br\"]".to_string(),
            "\"*.provedor.com.br\" is not a domain",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let err = rules_of(dir.path(), &extra).unwrap_err();
        assert!(err.contains(says), "{extra}: {err}");
        assert!(!dir.path().join("model.json").exists());
    }
}
