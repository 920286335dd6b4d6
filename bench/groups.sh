#!/usr/bin/env bash
# Group buying under load: 1,000 groups of size 3 filled by 64 concurrent clients
# (bench/groups.py), then the database is asked whether any group holds more than 3 members.
# Usage: bench/groups.sh [database]   (GROUPS=, CLIENTS= to change the load)
cd "$(dirname "$0")/.."
source bench/common.sh
python3 bench/groups.py "$port" "$token"
check="SELECT COUNT(*), SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END), MAX(paid_members + reserved),
       (SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM group_members WHERE status IN ('reserved', 'paid') GROUP BY group_id) m) FROM groups"
if [[ "$database" == postgres* ]]; then
    result=$(psql -qtA -F' ' "${database%%\?*}" -c "$check")
else
    result=$(sqlite3 -separator ' ' "$database" "$check")
fi
read -r total succeeded widest members <<<"$result"
echo "groups: $total, succeeded: $succeeded, largest group: $widest slots / $members members (must be <= 3)"
[[ "$widest" -le 3 && "$members" -le 3 ]] && echo "capacity held" || { echo "OVERFILLED"; exit 1; }
