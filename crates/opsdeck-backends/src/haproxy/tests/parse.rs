//! Parsing recorded `show stat` and `show servers state` answers.

use super::{SERVERS_STATE, SHOW_STAT};
use crate::haproxy::stat::split_csv;
use crate::haproxy::{admin_from_bits, parse_request_totals, parse_servers_state, parse_show_stat};
use crate::types::{AdminState, ServerStat};

#[test]
fn show_stat_reads_servers_by_column_name() {
    let servers = parse_show_stat(SHOW_STAT).expect("parse");
    let names: Vec<String> = servers.iter().map(|s| format!("{}/{}", s.backend, s.server)).collect();
    assert_eq!(names, ["api_prod/api-prod-blue", "api_prod/api-prod-green", "api_prod/api-prod-spare", "web_tcp/w1"]);
    let blue = &servers[0];
    assert_eq!(
        blue,
        &ServerStat {
            backend: "api_prod".into(),
            server: "api-prod-blue".into(),
            status: "UP".into(),
            admin: AdminState::Ready,
            current_sessions: 0,
            total_sessions: 5,
            weight: 100,
            http_5xx: 0,
            requests: 5,
            address: "127.0.0.1:51971".into(),
        }
    );
    assert_eq!(servers[1].status, "DRAIN");
    assert_eq!(servers[1].admin, AdminState::Drain);
    assert_eq!(servers[1].http_5xx, 5);
    assert_eq!(servers[2].admin, AdminState::Maint);
    assert_eq!(servers[3].status, "no check");
    assert!(servers[3].takes_traffic());
}

#[test]
fn request_totals_come_from_req_tot_or_stot() {
    let totals = parse_request_totals(SHOW_STAT).expect("parse");
    let key = |b: &str, s: &str| (b.to_string(), s.to_string());
    assert_eq!(totals.get(&key("api_prod", "api-prod-blue")), Some(&5));
    assert_eq!(totals.get(&key("api_prod", "api-prod-spare")), Some(&0));
    // A TCP backend has no req_tot: its sessions stand in.
    assert_eq!(totals.get(&key("web_tcp", "w1")), Some(&0));
    assert_eq!(totals.len(), 4, "no FRONTEND or BACKEND rows: {totals:?}");
    let text = "# pxname,svname,stot,req_tot\nbe,s1,9,\nbe,s2,9,7\n";
    let totals = parse_request_totals(text).expect("parse");
    assert_eq!(totals.get(&key("be", "s1")), Some(&9));
    assert_eq!(totals.get(&key("be", "s2")), Some(&7));
    assert!(parse_request_totals("Unknown command\n").is_err());
}

#[test]
fn show_stat_finds_moved_columns_and_quoted_fields() {
    let text = "# svname,pxname,check_desc,status,scur,stot,weight,hrsp_5xx,addr\n\
                s1,be,\"Layer7 wrong status, code: 500\",UP 1/3,7,90,\"25\",3,10.0.0.1:80\n";
    let servers = parse_show_stat(text).expect("parse");
    assert_eq!(servers[0].backend, "be");
    assert_eq!(servers[0].status, "UP 1/3");
    assert_eq!(servers[0].current_sessions, 7);
    assert_eq!(servers[0].weight, 25);
    assert_eq!(split_csv(r#"a,"b ""c"", d",,e"#), ["a", r#"b "c", d"#, "", "e"]);
}

#[test]
fn show_stat_rejects_what_is_not_a_stat_dump() {
    assert!(parse_show_stat("Unknown command\n").is_err());
    assert!(parse_show_stat("# pxname,svname\nbe,s1\n").is_err(), "no status column");
    assert!(parse_show_stat("# pxname,svname,status,scur\nbe,s1,UP,many\n").is_err());
    assert_eq!(parse_show_stat("# pxname,svname,status\n").expect("empty"), []);
}

#[test]
fn servers_state_maps_admin_bits() {
    let rows = parse_servers_state(SERVERS_STATE).expect("parse");
    let admin: Vec<(&str, u32, AdminState)> = rows.iter().map(|r| (r.server.as_str(), r.admin_bits, r.admin)).collect();
    assert_eq!(
        admin,
        [
            ("api-prod-blue", 0, AdminState::Ready),
            ("api-prod-green", 8, AdminState::Drain),
            ("api-prod-spare", 5, AdminState::Maint),
            ("w1", 0, AdminState::Ready),
        ]
    );
    assert_eq!(rows[0].user_weight, 100);
    assert_eq!(rows[0].op_state, 2);
}

#[test]
fn admin_bits_follow_haproxy_masks() {
    assert_eq!(admin_from_bits(0x01), AdminState::Maint);
    assert_eq!(admin_from_bits(0x02), AdminState::Maint);
    assert_eq!(admin_from_bits(0x20), AdminState::Maint);
    assert_eq!(admin_from_bits(0x09), AdminState::Maint, "maint wins over drain");
    assert_eq!(admin_from_bits(0x10), AdminState::Drain);
    // Recorded: a `disabled` server after `set server ... state ready` keeps the config bit
    // and takes traffic; with `drain` on top it is 12.
    assert_eq!(admin_from_bits(0x04), AdminState::Ready);
    assert_eq!(admin_from_bits(0x0c), AdminState::Drain);
    // 0x40: the FQDN was set from the CLI; not a state.
    assert_eq!(admin_from_bits(0x40), AdminState::Ready);
}

#[test]
fn servers_state_rejects_garbage() {
    assert!(parse_servers_state("").is_err());
    assert!(parse_servers_state("Unknown command\n").is_err());
    assert!(parse_servers_state("1\n# be_name srv_name\n").is_err(), "missing columns");
    let bad = "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight\n3 be 1 s1 127.0.0.1 2 x 1\n";
    assert!(parse_servers_state(bad).is_err());
}
