"""The mails' own words, in Korean and English, and the placeholders a rendered issue carries
where each subscriber's links go."""

from django.conf import settings

SITE = "Daily AI Insights"
# Placeholders the rendered issue carries where each subscriber's own links go.
MANAGE = "__FOLLOWERS_MANAGE__"
UNSUBSCRIBE = "__FOLLOWERS_UNSUBSCRIBE__"
FEED = "__FOLLOWERS_FEED__"
SUBJECT = "__FOLLOWERS_SUBJECT__"
RENDERED_KEPT = 256  # rendered mails an issue keeps, by filter and language
BODY = "__FOLLOWERS_BODY__"
H3 = 'style="font-size: 1em"'

TEXT = {
    "ko": {
        "day_subject": "{site} · {date} · 논문 {count}편",
        "week_subject": "{site} · {date} 주간 · 논문 {count}편",
        "confirm_subject": "{site} 구독 확인",
        "notice_subject": "{site} 구독 관리",
        "findings": "주요 발견",
        "papers": "논문",
        "more": "외 {count}편은 하루 페이지에서 볼 수 있습니다",
        "day_page": "하루 페이지",
        "chart": "카테고리 분포",
        "manage": "구독 관리",
        "unsubscribe": "구독 해지",
        "feed": "개인 피드",
        "why": "Daily AI Insights 구독을 신청하셨기 때문에 이 메일을 받으셨습니다.",
        "confirm_intro": "아래 링크를 열어 구독을 확인해 주세요. 확인하기 전에는 아무 메일도 "
        "보내지 않으며, {days}일 안에 확인하지 않으면 이 주소는 삭제됩니다.",
        "confirm": "구독 확인",
        "ignore": "신청하지 않으셨다면 이 메일을 무시하세요.",
        "notice_intro": "이 주소는 이미 구독 중입니다. 설정은 아래 링크에서 바꿀 수 있습니다.",
        "upvotes": "추천",
        "tldr": "요약",
    },
    "en": {
        "day_subject": "{site} · {date} · {count} papers",
        "week_subject": "{site} · week of {date} · {count} papers",
        "confirm_subject": "Confirm your {site} subscription",
        "notice_subject": "Your {site} subscription",
        "findings": "Key findings",
        "papers": "Papers",
        "more": "{count} more on the day page",
        "day_page": "Day page",
        "chart": "Papers by category",
        "manage": "Manage your subscription",
        "unsubscribe": "Unsubscribe",
        "feed": "Your personal feed",
        "why": "You get this mail because you subscribed to Daily AI Insights.",
        "confirm_intro": "Open the link below to confirm your subscription. Nothing is sent "
        "before you do, and an address not confirmed within {days} days is deleted.",
        "confirm": "Confirm",
        "ignore": "If you did not ask for this, ignore this mail.",
        "notice_intro": "This address is subscribed already. Change its settings with the link "
        "below.",
        "upvotes": "upvotes",
        "tldr": "TL;DR",
    },
}


def absolute(path: str) -> str:
    return settings.FOLLOWERS_SITE_URL.rstrip("/") + path
