from locust import HttpUser, constant, task


class Visitor(HttpUser):
    wait_time = constant(0.01)
    host = "http://127.0.0.1:18919"

    @task(3)
    def items(self):
        self.client.get("/items")

    @task(2)
    def flaky(self):
        self.client.get("/flaky")

    @task(1)
    def missing(self):
        self.client.get("/missing")
