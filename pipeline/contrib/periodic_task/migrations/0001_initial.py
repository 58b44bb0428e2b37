# The tables of pipeline.contrib.periodic_task. Depends on django-celery-beat's first migration only:
# the schedule row is referenced by primary key, which every supported version has.

import django.db.models.deletion
import pipeline.contrib.fields
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('django_celery_beat', '0001_initial'),
    ]

    operations = [
        migrations.CreateModel(
            name='PeriodicTask',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=64, verbose_name='name')),
                ('pipeline_tree', pipeline.contrib.fields.SerializerField(help_text='snapshot started (with fresh ids) each time', verbose_name='pipeline tree')),
                ('root_pipeline_data', pipeline.contrib.fields.SerializerField(default=dict, verbose_name='root pipeline data')),
                ('cron', models.CharField(help_text='minute hour day_of_month month_of_year day_of_week', max_length=128, verbose_name='cron')),
                ('total_run_count', models.PositiveIntegerField(default=0, verbose_name='successful starts')),
                ('last_run_at', models.DateTimeField(blank=True, null=True, verbose_name='last successful start')),
                ('creator', models.CharField(blank=True, default='', max_length=32, verbose_name='creator')),
                ('priority', models.IntegerField(default=100, verbose_name='priority')),
                ('queue', models.CharField(blank=True, default='', max_length=512, verbose_name='queue')),
                ('extra_info', pipeline.contrib.fields.SerializerField(blank=True, null=True, verbose_name='extra info')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('celery_task', models.OneToOneField(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='bamboo_periodic_task', to='django_celery_beat.periodictask', verbose_name='beat schedule')),
            ],
            options={
                'verbose_name': 'periodic task',
                'verbose_name_plural': 'periodic tasks',
                'ordering': ['-id'],
            },
        ),
        migrations.CreateModel(
            name='PeriodicTaskHistory',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('root_pipeline_id', models.CharField(blank=True, default='', help_text='empty when the start failed', max_length=33, verbose_name='root pipeline id')),
                ('ex_data', models.TextField(blank=True, default='', verbose_name='error')),
                ('start_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='start time')),
                ('start_success', models.BooleanField(default=True, verbose_name='started')),
                ('priority', models.IntegerField(default=100, verbose_name='priority')),
                ('queue', models.CharField(blank=True, default='', max_length=512, verbose_name='queue')),
                ('periodic_task', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='histories', to='periodic_task.periodictask', verbose_name='periodic task')),
            ],
            options={
                'verbose_name': 'periodic task history',
                'verbose_name_plural': 'periodic task histories',
                'ordering': ['-id'],
            },
        ),
    ]
