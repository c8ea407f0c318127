#!/usr/bin/python3
"""Drives the Titan PM dashboard in a real headless Chromium, for the Swift test
`DashboardInABrowser` (which starts the manager and answers this script on stdin).

Each step prints one JSON line on stdout; the Swift side reads them. Steps:
  1. the page lists the expected processes;
  2. "spawn?" -> the test spawns a process and writes its id on stdin -> the row appears
     without the page being reloaded;
  3. clicking "restart" on a process changes the pid shown;
  4. the events view shows the restart;
  5. (with --log) the log pane shows a process's earlier line, then "log?" -> the test has the
     process print a line and writes it on stdin -> the line appears;
  6. (with --scale) the scale button changes a pool's number of workers;
  7. (with --invoke) the service explorer calls a method with JSON arguments;
  8. a screenshot of the whole page is saved.
Exits 0 when every step passed, 1 (with {"error": ...}) otherwise.
"""
import argparse
import json
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def report(**fields):
    print(json.dumps(fields), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--expect", required=True, help="comma-separated process ids the page must list")
    parser.add_argument("--restart", required=True, help="the process whose restart button to click")
    parser.add_argument("--screenshot", required=True)
    parser.add_argument("--log", help="PROCESS|EARLIER LINE: open its log, then wait for the line written on stdin")
    parser.add_argument("--scale", help="POOL|SIZE: set the pool's size with its scale button")
    parser.add_argument("--invoke", help="SERVICE|METHOD|JSON ARGUMENTS|EXPECTED RESULT: call it in the service explorer")
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1440,1100"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    wait = WebDriverWait(driver, args.timeout, poll_frequency=0.1)

    def row(process_id):
        rows = driver.find_elements(By.CSS_SELECTOR, f'tr[data-process-id="{process_id}"]')
        return rows[0] if rows else None

    def cell(process_id, name):
        r = row(process_id)
        return r.find_element(By.CSS_SELECTOR, f"td.{name}").text if r else None

    try:
        driver.get(args.url)
        # 1. The processes are listed, each with a pid.
        expected = args.expect.split(",")
        wait.until(lambda d: all((cell(p, "pid") or "-").isdigit() for p in expected))
        report(step="listed", processes={p: int(cell(p, "pid")) for p in expected})

        # 2. A process started after the page loaded appears without a reload.
        driver.execute_script("window.__titanLoadMarker = 'still-the-same-page';")
        report(step="spawn?")
        spawned = sys.stdin.readline().strip()
        wait.until(lambda d: (cell(spawned, "pid") or "-").isdigit() and cell(spawned, "status") == "running")
        same_page = driver.execute_script("return window.__titanLoadMarker;") == "still-the-same-page"
        report(step="appeared", process=spawned, pid=int(cell(spawned, "pid")), reloaded=not same_page)

        # 3. Clicking restart changes the pid shown.
        before = int(cell(args.restart, "pid"))
        row(args.restart).find_element(By.CSS_SELECTOR, 'button[data-action="restart"]').click()
        wait.until(lambda d: (cell(args.restart, "pid") or "-").isdigit()
                   and int(cell(args.restart, "pid")) != before
                   and cell(args.restart, "status") == "running")
        report(step="restarted", process=args.restart, before=before, after=int(cell(args.restart, "pid")))

        # 4. The events view shows the restart: the process's status change and the admin action.
        def restart_events(d):
            items = d.find_elements(By.CSS_SELECTOR, f'#events li[data-subject="{args.restart}"]')
            kinds = {i.get_attribute("data-kind") for i in items}
            return kinds if {"restarting", "restart"} <= kinds else None
        kinds = wait.until(restart_events)
        texts = [i.text for i in driver.find_elements(By.CSS_SELECTOR, f'#events li[data-subject="{args.restart}"]')]
        report(step="events", kinds=sorted(kinds), lines=texts[:6])

        # 5. The log pane shows a process's output, and follows it.
        if args.log:
            process, earlier = args.log.split("|")
            row(process).find_element(By.CSS_SELECTOR, 'button[data-action="log"]').click()
            wait.until(lambda d: earlier in d.find_element(By.ID, "log").text)
            report(step="log?")
            marker = sys.stdin.readline().strip()
            wait.until(lambda d: marker in d.find_element(By.ID, "log").text)
            report(step="logged", process=process, result=marker)

        # 6. The scale button changes a pool's size.
        if args.scale:
            pool, size = args.scale.split("|")
            # The pools pane redraws with every live update: an element found before a redraw
            # is stale after it, so the size is entered and the button clicked again then.
            def scale(d):
                try:
                    box = d.find_element(By.CSS_SELECTOR, f'.pool[data-pool-id="{pool}"]')
                    field = box.find_element(By.CSS_SELECTOR, "input")
                    d.execute_script("arguments[0].focus(); arguments[0].value = arguments[1];", field, size)
                    box.find_element(By.CSS_SELECTOR, 'button[data-action="scale"]').click()
                    return True
                except StaleElementReferenceException:
                    return False
            wait.until(scale)
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, f'.pool[data-pool-id="{pool}"] li')) == int(size))
            report(step="scaled", pool=pool, workers=len(driver.find_elements(By.CSS_SELECTOR, f'.pool[data-pool-id="{pool}"] li')))

        # 7. The service explorer calls a method with JSON arguments.
        if args.invoke:
            service, method, arguments, expected = args.invoke.split("|")
            driver.find_element(By.CSS_SELECTOR, f'#services button[data-service="{service}"]').click()
            box = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, f'.method[data-method="{method}"] textarea') and
                             d.find_element(By.CSS_SELECTOR, f'.method[data-method="{method}"]'))
            area = box.find_element(By.TAG_NAME, "textarea")
            area.clear()
            area.send_keys(arguments)
            box.find_element(By.TAG_NAME, "button").click()
            result = wait.until(lambda d: (lambda t: t if t and t != "…" else None)(box.find_element(By.CSS_SELECTOR, ".result").text))
            report(step="invoked", method=method, result=result, ok=result.split()[0] == expected)

        # 8. A picture of the whole page.
        time.sleep(1.2)  # one more 1 s refresh, so CPU and calls/s columns have figures
        height = driver.execute_script("return document.documentElement.scrollHeight;")
        driver.set_window_size(1440, height + 40)
        driver.execute_script("window.scrollTo(0, 0);")
        driver.save_screenshot(args.screenshot)
        report(step="screenshot", path=args.screenshot)
        report(step="done")
        return 0
    except Exception as error:  # noqa: BLE001 - report whatever went wrong, as one line
        report(error=f"{type(error).__name__}: {error}", page=driver.page_source[:2000])
        return 1
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
