"""The web console and the diagram in a real browser (headless Chromium driven by Selenium).

Usage: console_browser.py URL SVG_FILE ARTIFACTS_DIR
  URL: a `localvpc serve` holding the seed design; SVG_FILE: `localvpc diagram` of the seed with the
  web-1 -> internet:443 trace. Screenshots go to ARTIFACTS_DIR.
"""
import base64
import os
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from seed_common import AwsCli, check, run

url, svg_file, artifacts = sys.argv[1], sys.argv[2], sys.argv[3]
SEED_NAMES = ["seed", "public", "private", "igw", "nat", "web-1", "web-2", "elb", "elb-sg", "web-sg", "nat-sg"]
RED = "#d91515"


def browser():
    options = Options()
    for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000"]:
        options.add_argument(argument)
    options.binary_location = "/usr/bin/chromium"
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def wait(driver, condition, what, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.execute_script(condition)
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def badge_stroke(driver, name):
    """The outline colour of a security group's first badge in the picture."""
    return driver.execute_script(
        "for (const g of document.querySelectorAll('#diagram g.security-group'))"
        "  if (g.textContent.trim() === arguments[0]) return g.querySelector('rect').getAttribute('stroke');"
        "return null;", name)


def shot(driver, name):
    os.makedirs(artifacts, exist_ok=True)
    path = os.path.join(artifacts, name)
    driver.save_screenshot(path)
    print("screenshot:", path)


def main():
    aws = AwsCli(url)
    driver = browser()
    try:
        driver.get(url + "/")
        check(driver.current_url.endswith("/console"), f"a browser's GET / is sent to the console ({driver.current_url})")
        wait(driver, "return document.body.dataset.version", "the first drawing")
        text = driver.execute_script("return document.querySelector('#diagram svg').textContent")
        missing = [name for name in SEED_NAMES if name not in text]
        check(not missing, f"the diagram shows every resource of the seed (missing: {missing})")
        shot(driver, "console-seed.png")

        driver.find_element(By.ID, "trace-from").send_keys("web-1")
        driver.find_element(By.ID, "trace-to").clear()
        driver.find_element(By.ID, "trace-to").send_keys("internet")
        driver.find_element(By.ID, "trace-port").clear()
        driver.find_element(By.ID, "trace-port").send_keys("443")
        driver.find_element(By.ID, "trace-run").click()
        verdict = wait(driver, "const v = document.getElementById('trace-verdict'); return v && v.textContent", "the trace's verdict")
        check(verdict.startswith("Not reachable"), f"web-1 -> internet:443 is not reachable ({verdict})")
        wait(driver, f"return document.querySelector('#diagram g.trace') !== null", "the trace drawn on the picture")
        check(badge_stroke(driver, "web-sg") == RED, "the blocking web-sg is drawn in red")
        result = driver.find_element(By.ID, "trace-result").text
        check("ENI_SG_RULES_MISMATCH" in result and "allows no outbound tcp port 443" in result,
              "the explanation is listed in plain words")
        analyses = aws("ec2", "describe-network-insights-analyses")["NetworkInsightsAnalyses"]
        check(any(a["NetworkPathFound"] is False for a in analyses), "the console's trace is a stored analysis (aws CLI sees it)")
        shot(driver, "console-trace.png")

        # A change through the aws CLI shows without a reload.
        driver.execute_script("window.__notReloaded = true")
        before = int(driver.execute_script("return document.body.dataset.version"))
        groups = aws("ec2", "describe-security-groups", "--filters", "Name=group-name,Values=web-sg")["SecurityGroups"]
        aws("ec2", "authorize-security-group-egress", "--group-id", groups[0]["GroupId"], "--protocol", "tcp", "--port", "443", "--cidr", "0.0.0.0/0")
        changed = time.time()
        wait(driver, f"return Number(document.body.dataset.version) > {before}", "the page to follow the change", timeout=5)
        elapsed = time.time() - changed
        check(elapsed < 2, f"the page redrew {elapsed:.2f} s after the change")
        check(driver.execute_script("return window.__notReloaded === true"), "without a reload")
        check(badge_stroke(driver, "web-sg") != RED, "the trace, redrawn on the new state, no longer blocks at web-sg")

        driver.execute_script(
            "for (const g of document.querySelectorAll('#diagram g.security-group'))"
            "  if (g.textContent.trim() === 'web-sg') { g.dispatchEvent(new MouseEvent('click', {bubbles: true})); break; }")
        title = wait(driver, "const t = document.getElementById('panel-title'); return t && t.textContent", "the side panel")
        panel = driver.find_element(By.ID, "panel").text
        check(title == "web-sg" and "Outbound rules" in panel and "0.0.0.0/0" in panel and "nat-sg" in panel,
              "clicking web-sg shows its rules with their peers")
        shot(driver, "console-panel.png")
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        check(not errors, f"no errors in the browser's console ({errors[:2]})")

        # The SVG of `localvpc diagram` renders in Chromium: it loads as an image and is not blank.
        with open(svg_file, "rb") as handle:
            encoded = base64.b64encode(handle.read()).decode()
        driver.get("about:blank")
        painted = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "const img = new Image();"
            "img.onload = () => { const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;"
            "  const x = c.getContext('2d'); x.drawImage(img, 0, 0); const d = x.getImageData(0, 0, c.width, c.height).data;"
            "  let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i+1] < 250 || d[i+2] < 250) n++;"
            "  done({width: img.width, height: img.height, painted: n}); };"
            "img.onerror = () => done({error: 'the SVG did not load'});"
            "img.src = 'data:image/svg+xml;base64,' + arguments[0];", encoded)
        check("error" not in painted and painted["painted"] > 10000,
              f"Chromium renders the diagram ({painted})")
        driver.get("file://" + os.path.abspath(svg_file))
        shot(driver, "diagram-seed-trace.png")
    finally:
        driver.quit()


run(main)
