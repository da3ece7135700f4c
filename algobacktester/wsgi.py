import os

from django.core.wsgi import get_wsgi_application

from algobacktester.startup import embedded_files_ensure

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "algobacktester.settings.base")
embedded_files_ensure()
application = get_wsgi_application()
