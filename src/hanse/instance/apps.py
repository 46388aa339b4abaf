from django.apps import AppConfig


class InstanceConfigApp(AppConfig):
    name = "hanse.instance"
    label = "instance"
