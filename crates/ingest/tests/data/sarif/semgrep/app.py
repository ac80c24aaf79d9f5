import sys


def run(expression):
    print("running", expression)
    assert expression
    return eval(expression)


def main():
    print(run(sys.argv[1]))
    value = eval("1 + 1")  # nosemgrep: no-eval
    return value
