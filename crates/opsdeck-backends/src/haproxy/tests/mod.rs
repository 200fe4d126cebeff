//! The runtime API client's unit tests, by scenario; the recorded answers here are shared.

mod parse;
mod replica;
mod socket;

/// `show stat` recorded from HAProxy 2.6.12 (Debian 12): api-prod-blue UP and checked,
/// api-prod-green drained after 5 requests answered 503, api-prod-spare `disabled` in the
/// config, and a TCP backend without checks.
const SHOW_STAT: &str = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,
fe_api,FRONTEND,,,0,1,9984,10,820,1350,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,10,0,10,,,,0,5,0,0,5,0,,10,10,10,,,0,0,0,0,,,,,,,,,,,,,,,,,,,,,http,,10,10,10,0,0,0,0,,,0,0,,,,,,,0,,,,,,,,,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,10,10,790,1560,0,0,
api_prod,api-prod-blue,0,0,0,1,,5,410,675,,0,,0,0,0,0,UP,100,1,0,1,1,1,1,,1,3,1,,5,,2,5,,5,L7OK,200,1,0,5,0,0,0,0,,,,5,0,0,,,,,0,,,0,0,1,1,,,,Layer7 check passed,,2,3,4,,,,127.0.0.1:51971,,http,,,,,,,,0,5,0,,,0,,0,0,1,1,0,0,0,0,1,100,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
api_prod,api-prod-green,0,0,0,1,,5,410,675,,0,,0,0,0,0,DRAIN,100,1,0,,,0,,,1,3,2,,5,,2,5,,5,,,,0,0,0,0,5,0,,,,5,0,0,,,,,0,,,0,0,1,1,,,,,,,,,,,,127.0.0.1:51972,,http,,,,,,,,0,5,0,,,0,,0,0,1,1,0,0,0,0,1,100,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
api_prod,api-prod-spare,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,0,0,2,2,,1,3,3,,0,,2,0,,0,,,,0,0,0,0,0,0,,,,0,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:51973,,http,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
api_prod,BACKEND,0,0,0,1,999,10,820,1350,0,0,,0,0,0,0,UP,100,1,0,,0,2,0,,1,3,0,,10,,1,10,,10,,,,0,5,0,0,5,0,,,,10,0,0,0,0,0,0,0,,,0,0,1,1,,,,,,,,,,,,,,http,roundrobin,,,,,,,0,10,0,0,0,,,0,0,1,1,0,,,,,100,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,14,14,1656,862,0,0,
web_tcp,w1,0,0,0,0,,0,0,0,,0,,0,0,0,0,no check,1,1,0,,,2,,,1,4,1,,0,,2,0,,0,,,,,,,,,,,,,,0,0,,,,,-1,,,0,0,0,0,,,,,,,,,,,,127.0.0.1:9,,tcp,,,,,,,,0,0,0,,,0,,0,0,0,0,0,0,0,0,0,1,,,,-,0,0,0,,,,,,,,,,,,,,,,,,,,,,
web_tcp,BACKEND,0,0,0,0,1,0,0,0,0,0,,0,0,0,0,UP,1,1,0,,0,2,0,,1,4,0,,0,,1,0,,0,,,,,,,,,,,,,,0,0,0,0,0,0,-1,,,0,0,0,0,,,,,,,,,,,,,,tcp,roundrobin,,,,,,,0,0,0,,,,,0,0,0,0,0,,,,,1,0,0,0,-,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,

";

/// `show servers state` recorded at the same moment as [`SHOW_STAT`].
const SERVERS_STATE: &str = "1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 api_prod 1 api-prod-blue 127.0.0.1 2 0 100 100 1 15 3 4 6 0 0 0 - 51971 - 0 0 - - 0
3 api_prod 2 api-prod-green 127.0.0.1 2 8 100 100 0 1 0 2 0 0 0 0 - 51972 - 0 0 - - 0
3 api_prod 3 api-prod-spare 127.0.0.1 0 5 1 1 2 1 0 0 14 0 0 0 - 51973 - 0 0 - - 0
4 web_tcp 1 w1 127.0.0.1 2 0 1 1 2 1 0 2 0 0 0 0 - 9 - 0 0 - - 0

";
