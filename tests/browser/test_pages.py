"""The local backend's pages in a real headless Chromium: Checkout, receipt, gallery, login."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from browsertools import BY_CSS, BY_ID, BY_TAG, Agent, screenshot, wait_for

LOADED_IMAGE = (
    "const img = document.querySelector(arguments[0]);"
    " return img !== null && img.complete ? img.naturalWidth : 0;"
)


def text_of(browser: Any, element_id: str) -> str:
    return str(browser.find_element(BY_ID, element_id).text)


def test_checkout_pays_once_and_shows_the_receipt(
    browser: Any, new_agent: Callable[[str], Agent], tmp_path: Path
) -> None:
    agent = new_agent("payer")
    quote = agent.run(
        "credits",
        "quote",
        "--pack",
        "starter-500",
        "--payment-method",
        "stripe_checkout",
        "--idempotency-key",
        "browser-quote",
    ).data
    bought = agent.run(
        "credits",
        "buy",
        "--provider",
        "stripe",
        "--quote-id",
        quote["quote_id"],
        "--idempotency-key",
        "browser-buy",
    ).data
    assert bought["state"] == "action_required" and agent.paid_balance() == 0

    browser.get(bought["checkout_url"])
    first_tab = browser.current_window_handle
    assert "500 Image Skill credits" in browser.page_source
    browser.switch_to.new_window("tab")  # the same checkout open twice: two pay buttons
    browser.get(bought["checkout_url"])
    second_tab = browser.current_window_handle

    browser.switch_to.window(first_tab)
    browser.find_element(BY_ID, "pay").click()
    wait_for(browser, lambda b: b.current_url.endswith("/receipt"), "the receipt page")
    assert text_of(browser, "status") == "succeeded"
    assert text_of(browser, "credits-granted") == "500"
    assert text_of(browser, "balance") == "530"  # 500 paid + the 30 free signup credits
    assert "500 credits were added" in text_of(browser, "outcome")
    screenshot(browser, tmp_path / "receipt.png")
    assert agent.paid_balance() == 500

    browser.switch_to.window(second_tab)  # a second click on the still-open checkout
    browser.find_element(BY_ID, "pay").click()
    wait_for(browser, lambda b: b.current_url.endswith("/receipt?again=1"), "the second receipt")
    assert "nothing was charged or granted again" in text_of(browser, "outcome")
    assert text_of(browser, "balance") == "530"
    browser.refresh()
    wait_for(browser, lambda b: b.find_elements(BY_ID, "balance"), "the reloaded receipt")
    assert text_of(browser, "balance") == "530"
    browser.get(bought["checkout_url"])  # the checkout itself, reloaded: no button any more
    assert "already paid" in browser.page_source and not browser.find_elements(BY_ID, "pay")
    screenshot(browser, tmp_path / "checkout-after.png")

    assert agent.paid_balance() == 500
    status = agent.run("credits", "status", "--payment-attempt-id", bought["payment_attempt_id"])
    assert status.data["state"] == "succeeded"
    assert status.data["receipt"]["credits_granted"] == 500


def test_gallery_shows_a_created_image_after_login(
    browser: Any, new_agent: Callable[[str], Agent], served: str, tmp_path: Path
) -> None:
    agent = new_agent("artist")
    asset = agent.run("create", "--prompt", "a lighthouse at dusk").data["assets"][0]
    browser.get(agent.login_url())
    wait_for(browser, lambda b: b.current_url == served + "/", "the redirect to the gallery")
    selector = f"figure[data-asset-id='{asset['asset_id']}'] img"
    width = wait_for(browser, lambda b: b.execute_script(LOADED_IMAGE, selector), "the image")
    assert width == asset["width"]
    image = browser.find_element(BY_CSS, selector)
    assert image.get_attribute("src") == asset["url"]
    (cookie,) = browser.get_cookies()
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert browser.execute_script("return document.cookie") == ""  # invisible to scripts
    screenshot(browser, tmp_path / "gallery.png")


def test_login_link_is_single_use_and_sessions_see_only_their_agent(
    browser: Any, new_agent: Callable[[str], Agent], served: str, tmp_path: Path
) -> None:
    alice, bob = new_agent("alice"), new_agent("bob")
    asset = alice.run("create", "--prompt", "a red kite").data["assets"][0]
    url = alice.login_url()
    browser.get(url)
    wait_for(browser, lambda b: b.current_url == served + "/", "alice's gallery")
    assert asset["asset_id"] in browser.page_source

    browser.get(url)  # the same link again
    assert browser.title == "Login link already used"
    assert "local gallery --api-base-url " + served in browser.page_source
    screenshot(browser, tmp_path / "used-link.png")

    browser.get(bob.login_url())  # bob's session replaces alice's in this browser
    wait_for(browser, lambda b: b.current_url == served + "/", "bob's gallery")
    page = browser.page_source
    assert "bob" in page and "Nothing made yet" in page
    assert asset["asset_id"] not in page and asset["url"] not in page
    assert not browser.find_elements(BY_TAG, "img")
    screenshot(browser, tmp_path / "other-agent.png")

    browser.find_element(BY_ID, "logout").click()
    wait_for(browser, lambda b: "local gallery" in b.page_source, "the signed-out page")
    assert not browser.find_elements(BY_ID, "logout") and browser.get_cookies() == []
