# ruff: noqa: RUF001 - Chinese text has full-width punctuation
"""The demo's Chinese team: a Shanghai support team working 09:00-12:00 and 13:30-18:00 on
China's calendar (public holidays and adjusted working weekends, 调休, of this year and next,
from the `holidays` package), its SLA policy, and Chinese customers with +86 mobiles, Chinese
addresses, conversations and requirements written in Chinese; the supervisor and agents use
Rapport in Simplified Chinese (`zh_Hans`). Loading it twice changes nothing."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Calendar, Customer, Role, Team
from workflows.customers import organisations, profiles, transactions
from workflows.platform import accounts
from workflows.platform.clock import Clock, ManualClock
from workflows.platform.passwords import generate_password
from workflows.tracking import calendars, conversations, requirements, sla_policies

TEAM = "客服中心 — 上海"
ZONE = "Asia/Shanghai"
USER_LANGUAGE = "zh_Hans"  # the interface language of the account (Flask-Babel's locale name)
CUSTOMER_LANGUAGE = "zh-Hans"  # a customer's language is a BCP 47 tag (profiles.LANGUAGE_RE)
PEOPLE = [
    ("chen.jing@example.cn", "陈静", Role.SUPERVISOR),
    ("liu.yang@example.cn", "刘洋", Role.AGENT),
    ("zhou.min@example.cn", "周敏", Role.AGENT),
]
CALENDAR = "上海办公室"
OFFICE_HOURS = [
    {"weekday": day, "start": start, "end": end}
    for day in range(5)
    for start, end in (("09:00", "12:00"), ("13:30", "18:00"))
]
HOUR = 3600

ORGANISATION = {
    "name": "蓝海贸易有限公司",
    "website": "lanhai.example.cn",
    "phone": "+86 21 5888 1234",
    "address": "上海市 浦东新区 世纪大道100号",
}

# name, email, mobile, (province, city, district, street, postal code), stage, tags, owner
CUSTOMERS = [
    (
        "王芳",
        "wangfang@lanhai.example.cn",
        "+86 139 1234 5678",
        ("上海市", "上海市", "浦东新区", "世纪大道100号", "200120"),
        "customer",
        "重点客户, 物流",
        "liu.yang@example.cn",
    ),
    (
        "张伟",
        "zhangwei@example.cn",
        "13800138001",
        ("广东省", "深圳市", "南山区", "科技园路1号", "518057"),
        "customer",
        "电商",
        "zhou.min@example.cn",
    ),
    (
        "李娜",
        "lina@example.cn",
        "+86 186 0101 2345",
        ("北京市", "北京市", "朝阳区", "建国路88号", "100022"),
        "prospect",
        "展会",
        "chen.jing@example.cn",
    ),
    (
        "刘强",
        "liuqiang@example.cn",
        "+86 135 7100 8899",
        ("浙江省", "杭州市", "西湖区", "文三路90号", "310012"),
        "lead",
        "",
        "liu.yang@example.cn",
    ),
    (
        "陈晓明",
        "chenxm@example.cn",
        "+86 158 2100 3456",
        ("四川省", "成都市", "武侯区", "人民南路四段12号", "610041"),
        "churned",
        "挽回",
        "zhou.min@example.cn",
    ),
]

COMMUNICATIONS = [
    (
        0,
        {
            "channel": "call",
            "direction": "inbound",
            "duration_minutes": 8,
            "subject": "订单还没有收到",
            "body": "王女士来电：11月28日下的订单（#20261128）至今未到，希望本周五前给答复。",
        },
    ),
    (
        0,
        {
            "channel": "email",
            "direction": "outbound",
            "subject": "回复：订单还没有收到",
            "body": "王女士您好，已联系承运商查询物流，预计明天下午送达，运单号已发您邮箱。",
        },
    ),
    (
        1,
        {
            "channel": "email",
            "direction": "inbound",
            "subject": "发票抬头需要更改",
            "body": "你好，上个月的发票抬头写错了，应为“深圳市张记电子商务有限公司”，麻烦重开。",
        },
    ),
    (
        2,
        {
            "channel": "meeting",
            "direction": "outbound",
            "duration_minutes": 60,
            "subject": "年度采购洽谈",
            "body": "在广交会上见面，李女士对上海—鹿特丹航线感兴趣，两周后跟进报价。",
        },
    ),
    (
        3,
        {
            "channel": "note",
            "subject": "首次接触",
            "body": "刘先生通过官网留言咨询冷链运输，已加微信，下周电话沟通。",
        },
    ),
    (
        4,
        {
            "channel": "sms",
            "direction": "outbound",
            "body": "陈先生您好，老客户回馈：下单立减15%，有效期至月底。",
        },
    ),
]

TRANSACTIONS = [
    (0, {"kind": "invoice", "amount": "86000.00", "reference": "FP-2026-1128"}),
    (0, {"kind": "payment", "amount": "86000.00", "reference": "ZF-556901"}),
    (1, {"kind": "order", "amount": "1234.50", "reference": "DD-20261128", "status": "open"}),
    (4, {"kind": "refund", "amount": "320.00", "reference": "TK-0091"}),
]


def load(session: Session, *, clock: Clock) -> int:
    """Create what is missing of the Chinese team, its calendar and policy, and its customers;
    returns how many rows."""
    team, created = _team(session, clock)
    created += _calendar_and_policy(session, team, clock)
    return created + _customers(session, team, clock)


def _team(session: Session, clock: Clock) -> tuple[Team, int]:
    created = 0
    team = session.scalar(select(Team).where(Team.name == TEAM))
    if team is None:
        team = accounts.create_team(session, TEAM, clock=clock)
        created += 1
    for email, name, role in PEOPLE:
        user = accounts.find_user_by_email(session, email)
        if user is None:
            # Demo people get unusable random passwords; an admin can reset one to try it.
            user = accounts.create_user(
                session,
                email=email,
                name=name,
                password=generate_password(),
                role=role,
                time_zone=ZONE,
                clock=clock,
            )
            user.language = USER_LANGUAGE
            created += 1
        member_ids = {m.user_id for m in team.memberships}
        supervisor_ids = {m.user_id for m in team.memberships if m.is_supervisor}
        if user.id not in member_ids:
            if role is Role.SUPERVISOR:
                supervisor_ids.add(user.id)
            accounts.set_team_members(session, team, member_ids | {user.id}, supervisor_ids)
    return team, created


def _calendar_and_policy(session: Session, team: Team, clock: Clock) -> int:
    if session.scalar(select(Calendar.id).where(Calendar.name == CALENDAR)):
        return 0
    office = calendars.create(
        session,
        {
            "name": CALENDAR,
            "time_zone": ZONE,
            "periods": OFFICE_HOURS,
            "quiet_hours": [{"start": "21:00", "end": "08:00"}],
        },
        clock=clock,
    )
    year = clock.now().astimezone(ZoneInfo(ZONE)).year
    # China's public holidays and the weekend days worked in exchange (调休), this year and next.
    calendars.import_country_holidays(session, office, country="CN", years=[year, year + 1])
    sla_policies.create(
        session,
        {
            "name": "中国标准服务",
            # Ahead of the demo's catch-all policies (at 10 and 20): first match wins.
            "position": 5,
            "match": {"team_ids": [team.id]},
            "calendar_id": office.id,
            "targets": {
                "default": {
                    "first_response": 4 * HOUR,
                    "next_response": 8 * HOUR,
                    "resolution": 3 * 15 * HOUR // 2,  # three working days of 7.5 hours
                },
                "high": {"first_response": 2 * HOUR, "resolution": 15 * HOUR},
            },
            "warning_percent": 80,
            "ladder": [
                {"at": "breach", "recipients": ["assignee"], "actions": ["notify"]},
                {
                    "at": "after_breach",
                    "seconds": HOUR,
                    "recipients": ["team_supervisors"],
                    "actions": ["notify", "raise_priority"],
                },
            ],
            "follow_up_seconds": 8 * HOUR,
        },
        actor=None,
        clock=clock,
    )
    return 2


def _customers(session: Session, team: Team, clock: Clock) -> int:
    if session.scalar(select(Customer.id).where(Customer.primary_email == CUSTOMERS[0][1])):
        return 0
    company = organisations.create_organisation(
        session, dict(ORGANISATION), actor_id=None, clock=clock
    )
    people = []
    for name, email, mobile, address, stage, tags, owner in CUSTOMERS:
        owner_user = accounts.find_user_by_email(session, owner)
        province, city, district, street, postal_code = address
        people.append(
            profiles.create_customer(
                session,
                {
                    "name": name,
                    "emails": email,
                    "phones": mobile,
                    "country": "CN",
                    "region": province,
                    "city": city,
                    "district": district,
                    "address_line": street,
                    "postal_code": postal_code,
                    "time_zone": ZONE,
                    "language": CUSTOMER_LANGUAGE,
                    "stage": stage,
                    "tags": tags,
                    "organisation_id": company.id if email.endswith("lanhai.example.cn") else None,
                    "owner_id": owner_user.id if owner_user else None,
                },
                actor_id=owner_user.id if owner_user else None,
                clock=clock,
            )
        )
    for index, data in COMMUNICATIONS:
        conversations.log_communication(
            session, people[index], dict(data), actor_id=people[index].owner_id, clock=clock
        )
    today = clock.now().date()
    for index, data in TRANSACTIONS:
        transactions.record_transaction(
            session,
            people[index],
            {"currency": "CNY", "status": "completed", "occurred_on": today.isoformat(), **data},
            actor_id=people[index].owner_id,
            clock=clock,
        )
    liu = accounts.find_user_by_email(session, "liu.yang@example.cn")
    zhou = accounts.find_user_by_email(session, "zhou.min@example.cn")
    chen = accounts.find_user_by_email(session, "chen.jing@example.cn")
    late = requirements.open_requirement(
        session,
        customer_id=people[0].id,
        title="订单 #20261128 尚未收到",
        description="客户11月28日下单，物流显示停在上海转运中心，需联系承运商。",
        clock=clock,
        actor=liu,
        priority="high",
        assignee_id=liu.id if liu else None,
        team_id=team.id,
        origin_channel="call",
    )
    if liu is not None:
        requirements.fire(session, late, "assign", actor=liu, clock=clock)
        requirements.fire(
            session, late, "ask_customer", actor=liu, clock=clock, note="请客户提供签收单照片。"
        )
    requirements.open_requirement(
        session,
        customer_id=people[1].id,
        title="发票抬头需要更改",
        clock=clock,
        actor=zhou,
        assignee_id=zhou.id if zhou else None,
        team_id=team.id,
        origin_channel="email",
    )
    requirements.open_requirement(
        session,
        customer_id=people[2].id,
        title="年度采购框架协议",
        clock=clock,
        actor=chen,
        workflow="sales",
        assignee_id=chen.id if chen else None,
        amount="360000.00",
        currency="CNY",
        expected_close_on=(clock.now() + timedelta(days=45)).date(),
    )
    # Opened three hours ago under the 4-hour target: the supervisor's queue shows it at risk
    # (when the office is open; business time stands still at night and on holidays).
    requirements.open_requirement(
        session,
        customer_id=people[3].id,
        title="冷链运输报价咨询",
        clock=ManualClock(clock.now() - timedelta(hours=3)),
        actor=None,
        team_id=team.id,
        origin_channel="email",
    )
    return 1 + len(people) + len(COMMUNICATIONS) + len(TRANSACTIONS) + 4
