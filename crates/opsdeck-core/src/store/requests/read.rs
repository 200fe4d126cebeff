//! Reading requests back: by id, by filter, and the approved one waiting on an action.

use rusqlite::{params_from_iter, OptionalExtension};

use super::super::error::{sql, StoreError};
use super::super::journal::ActionId;
use super::super::Store;
use super::model::{Request, RequestFilter, RequestId};
use super::rows::{raw_request, select_one, SELECT};

impl Store {
    /// Requests matching `filter`, newest first, as stored (an overdue one still reads `pending`
    /// until [`Store::expire_due`] or a decision marks it).
    pub fn requests(&self, filter: &RequestFilter) -> Result<Vec<Request>, StoreError> {
        let path = &self.path;
        let op = "list requests";
        let mut clauses = Vec::new();
        let mut values: Vec<String> = Vec::new();
        if !filter.states.is_empty() {
            let marks: Vec<String> = filter
                .states
                .iter()
                .map(|st| {
                    values.push(st.as_str().to_string());
                    format!("?{}", values.len())
                })
                .collect();
            clauses.push(format!("state IN ({})", marks.join(", ")));
        }
        for (column, value) in [("service", &filter.service), ("env", &filter.env)] {
            if let Some(v) = value {
                values.push(v.clone());
                clauses.push(format!("{column} = ?{}", values.len()));
            }
        }
        let filter_sql = if clauses.is_empty() { String::new() } else { format!(" WHERE {}", clauses.join(" AND ")) };
        let mut stmt = self.conn.prepare(&format!("{SELECT}{filter_sql} ORDER BY id DESC")).map_err(sql(path, op))?;
        let rows = stmt.query_map(params_from_iter(values.iter()), raw_request).map_err(sql(path, op))?;
        rows.map(|r| r.map_err(sql(path, op)).and_then(|raw| raw.into_request(path))).collect()
    }

    /// The request `id`, if there is one.
    pub fn request(&self, id: RequestId) -> Result<Option<Request>, StoreError> {
        select_one(&self.conn, &self.path, id)
    }

    /// The approved request whose action is `action`, if one is still waiting for its end: crash
    /// recovery settles it with the action, so it does not stay "approved" forever.
    pub fn approved_request_for(&self, action: ActionId) -> Result<Option<Request>, StoreError> {
        let path = &self.path;
        self.conn
            .query_row(&format!("{SELECT} WHERE action_id = ?1 AND state = 'approved'"), [action.0], raw_request)
            .optional()
            .map_err(sql(path, "read request of action"))?
            .map(|raw| raw.into_request(path))
            .transpose()
    }
}
