use std::borrow::Cow;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature,
};
use datafusion_macros::user_doc;

use crate::utils::{map_string, string_signature, Utf8Output};

#[user_doc(
    doc_section(label = "Windows Functions"),
    description = r#"What a Windows security identifier (SID) denotes. Well-known SIDs get their name: `S-1-5-18` LOCAL_SYSTEM, `S-1-5-19` LOCAL_SERVICE, `S-1-5-20` NETWORK_SERVICE, `S-1-5-7` ANONYMOUS_LOGON, `S-1-1-0` EVERYONE, `S-1-5-32-544` BUILTIN_ADMINISTRATORS and the other `S-1-5-32` groups, integrity levels (`S-1-16-12288` HIGH_INTEGRITY)... Domain and local SIDs (`S-1-5-21-<3 sub-authorities>-<RID>`) are named by their RID: ADMINISTRATOR (500), GUEST (501), KRBTGT (502), DOMAIN_ADMINS (512), DOMAIN_USERS (513), DOMAIN_COMPUTERS (515), DOMAIN_CONTROLLERS (516), ENTERPRISE_ADMINS (519)..., and ACCOUNT for any other (user, group or computer) RID. Also NT_SERVICE (`S-1-5-80-...`), IIS_APPPOOL (`S-1-5-82-...`), AZURE_AD_ACCOUNT (`S-1-12-1-...`). UNKNOWN for another well-formed SID; NULL for a malformed one."#,
    syntax_example = "sid_type(sid)",
    sql_example = r#"```sql
> SELECT sid_type('S-1-5-18') AS a, sid_type('S-1-5-21-3623811015-3361044348-30300820-500') AS b, sid_type('S-1-5-21-3623811015-3361044348-30300820-1013') AS c, sid_type('S-1-5-32-544') AS d;
+--------------+---------------+---------+------------------------+
| a            | b             | c       | d                      |
+--------------+---------------+---------+------------------------+
| LOCAL_SYSTEM | ADMINISTRATOR | ACCOUNT | BUILTIN_ADMINISTRATORS |
+--------------+---------------+---------+------------------------+
```"#,
    argument(
        name = "sid",
        description = "SID in its string form (`S-1-...`, any case; any string type)."
    )
)]
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SidType {
    signature: Signature,
}

impl Default for SidType {
    fn default() -> Self {
        Self {
            signature: string_signature(1, 0),
        }
    }
}

impl ScalarUDFImpl for SidType {
    fn name(&self) -> &str {
        "sid_type"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        map_string::<Utf8Output, _>(self.name(), "sid", &args.args, args.number_rows, |sid| {
            sid_type(sid).map(Cow::Borrowed)
        })
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.doc()
    }
}

/// Parses `S-<revision>-<authority>-<sub-authority>...` into its numbers.
fn parse_sid(sid: &str) -> Option<Vec<u64>> {
    let sid = sid.trim();
    let rest = sid.strip_prefix("S-").or_else(|| sid.strip_prefix("s-"))?;
    let parts = rest
        .split('-')
        .map(|p| {
            (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u64>().ok())
                .flatten()
        })
        .collect::<Option<Vec<_>>>()?;
    // a revision and an identifier authority at least, at most 15 sub-authorities
    (parts.len() >= 2 && parts.len() <= 17 && parts[0] == 1).then_some(parts)
}

/// Names from Microsoft's "Well-known SIDs" reference.
fn sid_type(sid: &str) -> Option<&'static str> {
    let parts = parse_sid(sid)?;
    let (authority, sub) = (parts[1], &parts[2..]);
    Some(match (authority, sub) {
        (0, [0]) => "NULL",
        (1, [0]) => "EVERYONE",
        (2, [0]) => "LOCAL",
        (2, [1]) => "CONSOLE_LOGON",
        (3, [0]) => "CREATOR_OWNER",
        (3, [1]) => "CREATOR_GROUP",
        (3, [4]) => "OWNER_RIGHTS",
        (5, [1]) => "DIALUP",
        (5, [2]) => "NETWORK",
        (5, [3]) => "BATCH",
        (5, [4]) => "INTERACTIVE",
        (5, [5, _, _]) => "LOGON_SESSION",
        (5, [6]) => "SERVICE",
        (5, [7]) => "ANONYMOUS_LOGON",
        (5, [8]) => "PROXY",
        (5, [9]) => "ENTERPRISE_DOMAIN_CONTROLLERS",
        (5, [10]) => "PRINCIPAL_SELF",
        (5, [11]) => "AUTHENTICATED_USERS",
        (5, [12]) => "RESTRICTED_CODE",
        (5, [13]) => "TERMINAL_SERVER_USER",
        (5, [14]) => "REMOTE_INTERACTIVE_LOGON",
        (5, [15]) => "THIS_ORGANIZATION",
        (5, [17]) => "IUSR",
        (5, [18]) => "LOCAL_SYSTEM",
        (5, [19]) => "LOCAL_SERVICE",
        (5, [20]) => "NETWORK_SERVICE",
        (5, [32, rid]) => builtin_group(*rid)?,
        (5, [21, _, _, _, rid]) => account_rid(*rid),
        (5, [64, 10]) => "NTLM_AUTHENTICATION",
        (5, [64, 14]) => "SCHANNEL_AUTHENTICATION",
        (5, [64, 21]) => "DIGEST_AUTHENTICATION",
        (5, [80, 0]) => "ALL_SERVICES",
        (5, [80, ..]) => "NT_SERVICE",
        (5, [82, ..]) => "IIS_APPPOOL",
        (5, [83, 0]) => "HYPER_V_VIRTUAL_MACHINES",
        (5, [90, ..]) => "WINDOW_MANAGER",
        (5, [96, ..]) => "FONT_DRIVER_HOST",
        (5, [113]) => "LOCAL_ACCOUNT",
        (5, [114]) => "LOCAL_ACCOUNT_AND_ADMINISTRATOR",
        (12, [1, ..]) => "AZURE_AD_ACCOUNT",
        (16, [0]) => "UNTRUSTED_INTEGRITY",
        (16, [4096]) => "LOW_INTEGRITY",
        (16, [8192]) => "MEDIUM_INTEGRITY",
        (16, [8448]) => "MEDIUM_PLUS_INTEGRITY",
        (16, [12288]) => "HIGH_INTEGRITY",
        (16, [16384]) => "SYSTEM_INTEGRITY",
        (16, [20480]) => "PROTECTED_PROCESS_INTEGRITY",
        _ => "UNKNOWN",
    })
}

fn builtin_group(rid: u64) -> Option<&'static str> {
    Some(match rid {
        544 => "BUILTIN_ADMINISTRATORS",
        545 => "BUILTIN_USERS",
        546 => "BUILTIN_GUESTS",
        547 => "POWER_USERS",
        548 => "ACCOUNT_OPERATORS",
        549 => "SERVER_OPERATORS",
        550 => "PRINT_OPERATORS",
        551 => "BACKUP_OPERATORS",
        552 => "REPLICATOR",
        554 => "PRE_WINDOWS_2000_COMPATIBLE_ACCESS",
        555 => "REMOTE_DESKTOP_USERS",
        556 => "NETWORK_CONFIGURATION_OPERATORS",
        558 => "PERFORMANCE_MONITOR_USERS",
        559 => "PERFORMANCE_LOG_USERS",
        562 => "DISTRIBUTED_COM_USERS",
        568 => "IIS_IUSRS",
        569 => "CRYPTOGRAPHIC_OPERATORS",
        573 => "EVENT_LOG_READERS",
        574 => "CERTIFICATE_SERVICE_DCOM_ACCESS",
        578 => "HYPER_V_ADMINISTRATORS",
        579 => "ACCESS_CONTROL_ASSISTANCE_OPERATORS",
        580 => "REMOTE_MANAGEMENT_USERS",
        _ => "BUILTIN_GROUP",
    })
}

/// Relative ids of `S-1-5-21-<domain or machine>-<RID>` accounts.
fn account_rid(rid: u64) -> &'static str {
    match rid {
        500 => "ADMINISTRATOR",
        501 => "GUEST",
        502 => "KRBTGT",
        503 => "DEFAULT_ACCOUNT",
        504 => "WDAG_UTILITY_ACCOUNT",
        512 => "DOMAIN_ADMINS",
        513 => "DOMAIN_USERS",
        514 => "DOMAIN_GUESTS",
        515 => "DOMAIN_COMPUTERS",
        516 => "DOMAIN_CONTROLLERS",
        517 => "CERT_PUBLISHERS",
        518 => "SCHEMA_ADMINS",
        519 => "ENTERPRISE_ADMINS",
        520 => "GROUP_POLICY_CREATOR_OWNERS",
        521 => "READONLY_DOMAIN_CONTROLLERS",
        522 => "CLONEABLE_DOMAIN_CONTROLLERS",
        525 => "PROTECTED_USERS",
        526 => "KEY_ADMINS",
        527 => "ENTERPRISE_KEY_ADMINS",
        553 => "RAS_AND_IAS_SERVERS",
        571 => "ALLOWED_RODC_PASSWORD_REPLICATION_GROUP",
        572 => "DENIED_RODC_PASSWORD_REPLICATION_GROUP",
        _ => "ACCOUNT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::utils::test_util::assert_unary;
    use datafusion::arrow::array::{ArrayRef, StringArray};
    use std::sync::Arc;

    const DOMAIN: &str = "S-1-5-21-3623811015-3361044348-30300820";

    #[test]
    fn well_known_sids() {
        assert_eq!(sid_type("S-1-5-18"), Some("LOCAL_SYSTEM"));
        assert_eq!(sid_type("s-1-5-19"), Some("LOCAL_SERVICE"));
        assert_eq!(sid_type("S-1-5-20"), Some("NETWORK_SERVICE"));
        assert_eq!(sid_type("S-1-5-7"), Some("ANONYMOUS_LOGON"));
        assert_eq!(sid_type("S-1-1-0"), Some("EVERYONE"));
        assert_eq!(sid_type("S-1-5-32-544"), Some("BUILTIN_ADMINISTRATORS"));
        assert_eq!(sid_type("S-1-5-32-999"), Some("BUILTIN_GROUP"));
        assert_eq!(sid_type("S-1-16-12288"), Some("HIGH_INTEGRITY"));
        assert_eq!(sid_type("S-1-5-5-0-123456"), Some("LOGON_SESSION"));
        assert_eq!(
            sid_type("S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"),
            Some("NT_SERVICE")
        );
        assert_eq!(sid_type("S-1-12-1-1-2-3-4"), Some("AZURE_AD_ACCOUNT"));
    }

    #[test]
    fn domain_and_local_accounts_by_rid() {
        assert_eq!(sid_type(&format!("{DOMAIN}-500")), Some("ADMINISTRATOR"));
        assert_eq!(sid_type(&format!("{DOMAIN}-501")), Some("GUEST"));
        assert_eq!(sid_type(&format!("{DOMAIN}-502")), Some("KRBTGT"));
        assert_eq!(sid_type(&format!("{DOMAIN}-512")), Some("DOMAIN_ADMINS"));
        assert_eq!(sid_type(&format!("{DOMAIN}-1104")), Some("ACCOUNT"));
        // a domain SID without a RID is not an account
        assert_eq!(sid_type(DOMAIN), Some("UNKNOWN"));
    }

    #[test]
    fn unknown_and_malformed() {
        assert_eq!(sid_type("S-1-5-99"), Some("UNKNOWN"));
        assert_eq!(sid_type("S-1-5-18 "), Some("LOCAL_SYSTEM"));
        for bad in [
            "",
            "S-1",
            "S-2-5-18",
            "S-1-5-x",
            "S-1-5--18",
            "1-5-18",
            "NT AUTHORITY\\SYSTEM",
        ] {
            assert_eq!(sid_type(bad), None, "{bad}");
        }
    }

    #[test]
    fn per_row() {
        let expected: ArrayRef =
            Arc::new(StringArray::from(vec![Some("LOCAL_SYSTEM"), None, None]));
        assert_unary(
            &SidType::default(),
            &[Some("S-1-5-18"), Some("-"), None],
            expected,
        );
    }
}
